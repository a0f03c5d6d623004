import { createHash, webcrypto } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { AUTH_JS, VIEWER_JS } from '../../functions/api/viewer/client.js';

/**
 * The viewer's sign-in code as the browser runs it (the same string, in a Node VM with the Web APIs it
 * uses). The hosted UI itself is not run: no Cognito emulator is installed here (cognito-local and
 * similar packages emulate the user-pool API, not the hosted UI's authorize/token endpoints with PKCE),
 * so the test checks what the viewer sends: the PKCE pair, the authorize URL and the token request.
 */
const auth = {
  domain: 'https://redline-prod-123.auth.eu-west-1.amazoncognito.com/',
  clientId: 'client123',
  redirectUri: 'https://d111.cloudfront.net/',
  scopes: 'openid email',
};

function load() {
  return runInNewContext(
    `${AUTH_JS}; ({ base64url, randomString, pkceChallenge, authorizeUrl, tokenRequest, logoutUrl })`,
    {
      crypto: webcrypto,
      TextEncoder,
      URLSearchParams,
      btoa,
    },
  ) as {
    base64url(bytes: Uint8Array): string;
    randomString(bytes?: number): string;
    pkceChallenge(verifier: string): Promise<string>;
    authorizeUrl(a: typeof auth, state: string, challenge: string): string;
    tokenRequest(a: typeof auth, code: string, verifier: string): { url: string; body: string };
    logoutUrl(a: typeof auth): string;
  };
}

describe('viewer sign-in (authorization code + PKCE)', () => {
  it('the challenge is base64url(SHA-256(verifier)), RFC 7636’s example included', async () => {
    const js = load();
    // RFC 7636 appendix B.
    expect(await js.pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
    const verifier = js.randomString(48);
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{64}$/); // 48 bytes → 64 characters, within RFC 7636's 43–128
    expect(js.randomString(48)).not.toBe(verifier);
    const expected = createHash('sha256').update(verifier).digest('base64url');
    expect(await js.pkceChallenge(verifier)).toBe(expected);
  });

  it('the authorize URL asks the hosted UI for a code with the S256 challenge and comes back to the viewer', () => {
    const url = new URL(load().authorizeUrl(auth, 'state-1', 'challenge-1'));
    expect(url.origin + url.pathname).toBe(
      'https://redline-prod-123.auth.eu-west-1.amazoncognito.com/oauth2/authorize',
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client123',
      redirect_uri: 'https://d111.cloudfront.net/',
      scope: 'openid email',
      state: 'state-1',
      code_challenge: 'challenge-1',
      code_challenge_method: 'S256',
    });
  });

  it('the token request sends the code with its verifier and no client secret; logout returns to the viewer', () => {
    const js = load();
    const { url, body } = js.tokenRequest(auth, 'code-9', 'verifier-9');
    expect(url).toBe('https://redline-prod-123.auth.eu-west-1.amazoncognito.com/oauth2/token');
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({
      grant_type: 'authorization_code',
      client_id: 'client123',
      code: 'code-9',
      redirect_uri: 'https://d111.cloudfront.net/',
      code_verifier: 'verifier-9',
    });
    const logout = new URL(js.logoutUrl(auth));
    expect(logout.pathname).toBe('/logout');
    expect(logout.searchParams.get('logout_uri')).toBe(auth.redirectUri);
  });

  it('the token is kept in sessionStorage, never localStorage, and sent as a bearer token', () => {
    expect(VIEWER_JS).toContain('sessionStorage.setItem(TOKEN_KEY');
    expect(VIEWER_JS).not.toContain('localStorage');
    expect(VIEWER_JS).toContain("authorization: 'Bearer ' + token.accessToken");
    // Embedded in a template literal at build time: no backquote or dollar-brace may appear in it.
    expect(VIEWER_JS).not.toMatch(/`|\$\{/);
  });
});
