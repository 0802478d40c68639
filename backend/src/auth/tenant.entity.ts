import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'tenants' })
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @Column('integer', { name: 'rate_limit_per_second', nullable: true })
  rateLimitPerSecond!: number | null;

  @Column('integer', { name: 'rate_limit_burst', nullable: true })
  rateLimitBurst!: number | null;

  @Column('integer', { name: 'max_concurrency', nullable: true })
  maxConcurrency!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
