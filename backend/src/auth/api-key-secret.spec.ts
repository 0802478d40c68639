import { API_KEY_MIN_LENGTH, displayPrefix, generateApiKey, hashApiKey } from './api-key-secret';

describe('API key secrets', () => {
  it('generates distinct keys carrying at least 32 random bytes', () => {
    const keys = new Set(Array.from({ length: 100 }, generateApiKey));
    expect(keys.size).toBe(100);
    for (const key of keys) {
      expect(Buffer.from(key.replace(/^cvr_/, ''), 'base64url').length).toBeGreaterThanOrEqual(32);
    }
  });

  it('hashes with sha256 to 64 hex characters', () => {
    expect(hashApiKey('my-api-key-123')).toBe(
      '3eeee45940fdb39d8e3b5707b5dccbd43909635096c5135b7ea561ba08549a19',
    );
    expect(hashApiKey('a')).not.toBe(hashApiKey('b'));
  });

  it('shows a prefix that never reveals the whole of a minimum-length key', () => {
    const key = 'x'.repeat(API_KEY_MIN_LENGTH);
    expect(displayPrefix(key).length).toBeLessThan(key.length);
    expect(displayPrefix(generateApiKey())).toHaveLength(8);
  });

  it('shows at most a third of any key', () => {
    for (let length = API_KEY_MIN_LENGTH; length <= 64; length++) {
      const key = 'k'.repeat(length);
      expect(displayPrefix(key).length).toBeLessThanOrEqual(Math.floor(length / 3));
    }
    expect(displayPrefix('my-api-key-123')).toBe('my-a');
  });
});
