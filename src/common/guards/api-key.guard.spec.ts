import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { bearerToken, matchSecret } from './api-key.guard';

const digest = (s: string) => createHash('sha256').update(s).digest();
const withAuth = (authorization?: string) => ({ headers: { authorization } }) as Request;

describe('bearerToken', () => {
  it('reads the token of a Bearer header, any case, surrounding blanks allowed', () => {
    expect(bearerToken(withAuth('Bearer abc'))).toBe('abc');
    expect(bearerToken(withAuth('bearer   abc  '))).toBe('abc');
  });

  it('finds none in other schemes, empty or odd headers', () => {
    for (const h of [undefined, '', 'Bearer', 'Bearer ', 'Basic abc', 'Bearer a b', 'Token abc']) {
      expect(bearerToken(withAuth(h))).toBeUndefined();
    }
  });
});

describe('matchSecret', () => {
  const allowed = ['first-key', 'second-key'].map(digest);

  it('returns the index of the matching secret, -1 for anything else', () => {
    expect(matchSecret('first-key', allowed)).toBe(0);
    expect(matchSecret('second-key', allowed)).toBe(1);
    for (const wrong of ['', 'first', 'first-key ', 'FIRST-KEY', 'x'.repeat(10000)]) {
      expect(matchSecret(wrong, allowed)).toBe(-1);
    }
  });
});
