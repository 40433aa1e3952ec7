// The frame of a browser suite: steps that depend on each other (a failed step skips the
// ones after it), one logged-in browser session per role, and page visits that must answer.

import assert from 'node:assert/strict';
import { it } from 'node:test';

import { login, openSession } from './browser.mjs';

// `users` maps a role to its e-mail; `ctx()` gives { server, browser } once they run;
// `onFailure(name, sessions)` may record what each role was looking at; `timeout` is a
// step's default.
export function suite(users, ctx, { onFailure, timeout: stepTimeout = 120_000 } = {}) {
  const sessions = {};
  let broken = null;

  function step(name, fn, timeout = stepTimeout) {
    it(name, { timeout }, async (t) => {
      if (broken) {
        t.skip(`skipped: the earlier step "${broken}" failed`);
        return;
      }
      try {
        await fn(t);
      } catch (err) {
        broken = name;
        if (onFailure) await onFailure(name, sessions);
        throw err;
      }
    });
  }

  async function session(role) {
    if (!sessions[role]) {
      const { server, browser } = ctx();
      sessions[role] = await openSession(browser);
      await login(sessions[role], server.baseUrl, users[role], null, role);
    }
    return sessions[role];
  }

  async function go(s, path) {
    const response = await s.page.goto(`${ctx().server.baseUrl}${path}`);
    assert.ok(response && response.ok(), `GET ${path}: ${response && response.status()}`);
  }

  async function closeSessions() {
    for (const s of Object.values(sessions)) await s.context.close().catch(() => {});
  }

  return { step, session, go, closeSessions, broken: () => broken };
}
