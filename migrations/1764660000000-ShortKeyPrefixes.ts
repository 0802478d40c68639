import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Key lists show a prefix of each key. It used to be up to 8 characters, two thirds of a
 * 12-character key; new keys keep at most a third (displayPrefix). The length of an existing key
 * is unknown, so every stored prefix is cut to 4 characters (a third of the shortest key
 * allowed), except those of generated keys (`cvr_` and 43 characters, of which 4 show).
 * Irreversible: the cut characters are gone, so `down` leaves the prefixes as they are.
 */
export class ShortKeyPrefixes1764660000000 implements MigrationInterface {
  name = 'ShortKeyPrefixes1764660000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE api_keys SET prefix = left(prefix, 4) WHERE length(prefix) > 4 AND prefix NOT LIKE 'cvr\\_%'`,
    );
  }

  async down(): Promise<void> {}
}
