import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const API_KEY_ROLES = Object.freeze(['tenant', 'admin'] as const);
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  /** sha256 of the key, hex; the key itself is never stored. */
  @Column('char', { name: 'key_hash', length: 64 })
  keyHash!: string;

  @Column('text')
  prefix!: string;

  @Column('text', { nullable: true })
  name!: string | null;

  @Column('text')
  role!: ApiKeyRole;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt!: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;
}
