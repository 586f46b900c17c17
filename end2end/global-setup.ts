import { mkdirSync, writeFileSync } from 'node:fs';
import { startServer, createUser, Running } from './server';

export interface ServerState extends Running {
  admin: { login: string; password: string };
  member: { login: string; password: string };
}

/** One server for the specs, with an admin and a member made the way an operator would. */
export default async function globalSetup() {
  mkdirSync('.state', { recursive: true });
  // Identity providers under test run on loopback, which the server reaches only when allowed.
  const s = await startServer(['--sso-private-hosts', 'true'], '.state/server.log');
  createUser(s, ['--email', 'admin@example.com', '--name', 'Ada Admin', '--admin', '--workspace', 'Research'], 'admin-password-1');
  createUser(s, ['--email', 'throttled@example.com', '--name', 'Tess Throttled', '--workspace', 'Research'], 'throttle-password-1');
  createUser(s, ['--email', 'member@example.com', '--name', 'Max Member', '--workspace', 'Research'], 'member-password-1');
  // Workspace flows get people of their own, so that switching and leaving do not disturb other specs.
  createUser(s, ['--email', 'wanda@example.com', '--name', 'Wanda Owner', '--workspace', 'Wanda Lab'], 'wanda-password-1');
  createUser(s, ['--email', 'sam@example.com', '--name', 'Sam Sdk', '--workspace', 'Sam Space'], 'sam-password-1');
  createUser(s, ['--email', 'uma@example.com', '--name', 'Uma Admin', '--workspace', 'Uma Team'], 'uma-password-1');
  createUser(s, ['--email', 'ulf@example.com', '--name', 'Ulf Member', '--workspace', 'Uma Team'], 'ulf-password-1');
  createUser(s, ['--email', 'ivy@example.com', '--name', 'Ivy Invitee', '--workspace', 'Ivy Home'], 'ivy-password-1');
  // The cross-site spec's administrator and the member a hostile page tries to promote.
  createUser(s, ['--email', 'xena@example.com', '--name', 'Xena Admin', '--admin', '--workspace', 'Xena Corp'], 'xena-password-1');
  createUser(s, ['--email', 'xavi@example.com', '--name', 'Xavi Member', '--workspace', 'Xena Corp'], 'xavi-password-1');
  // The accessibility audit's administrator, whose invitation and key pair show in no other spec.
  // Configuration vaults: an administrator and a member of their own workspace.
  createUser(s, ['--email', 'vera@example.com', '--name', 'Vera Vault', '--admin', '--workspace', 'Vault Lab'], 'vera-password-1');
  createUser(s, ['--email', 'vic@example.com', '--name', 'Vic Member', '--workspace', 'Vault Lab'], 'vic-password-1');
  createUser(s, ['--email', 'sid@example.com', '--name', 'Sid Sdk', '--workspace', 'Vault Lab'], 'sid-password-1');
  // The catalog through the real SDK and clearml-agent: an administrator and a member.
  createUser(s, ['--email', 'cara@example.com', '--name', 'Cara Catalog', '--admin', '--workspace', 'Catalog Lab'], 'cara-password-1');
  createUser(s, ['--email', 'cole@example.com', '--name', 'Cole Member', '--workspace', 'Catalog Lab'], 'cole-password-1');
  createUser(s, ['--email', 'alma@example.com', '--name', 'Alma Audit', '--admin', '--workspace', 'Audit Lab'], 'alma-password-1');
  // Access rules through the real SDK: an administrator and two members.
  createUser(s, ['--email', 'rhea@example.com', '--name', 'Rhea Rules', '--admin', '--workspace', 'Rules Lab'], 'rhea-password-1');
  createUser(s, ['--email', 'reid@example.com', '--name', 'Reid Reader', '--workspace', 'Rules Lab'], 'reid-password-1');
  createUser(s, ['--email', 'remy@example.com', '--name', 'Remy Member', '--workspace', 'Rules Lab'], 'remy-password-1');
  // The Access Rules page: an administrator and two members.
  createUser(s, ['--email', 'rosa@example.com', '--name', 'Rosa Rules', '--admin', '--workspace', 'Rules Page'], 'rosa-password-1');
  createUser(s, ['--email', 'rudy@example.com', '--name', 'Rudy Member', '--workspace', 'Rules Page'], 'rudy-password-1');
  createUser(s, ['--email', 'rick@example.com', '--name', 'Rick Member', '--workspace', 'Rules Page'], 'rick-password-1');
  // Resource configuration through the real SDK and clearml-agent: an administrator and a member.
  createUser(s, ['--email', 'gala@example.com', '--name', 'Gala Gpus', '--admin', '--workspace', 'GPU Lab'], 'gala-password-1');
  createUser(s, ['--email', 'gus@example.com', '--name', 'Gus Member', '--workspace', 'GPU Lab'], 'gus-password-1');
  // The Resource Configuration canvas and policies: an administrator and two members.
  createUser(s, ['--email', 'nora@example.com', '--name', 'Nora Nodes', '--admin', '--workspace', 'Canvas Lab'], 'nora-password-1');
  createUser(s, ['--email', 'ned@example.com', '--name', 'Ned Dev', '--workspace', 'Canvas Lab'], 'ned-password-1');
  createUser(s, ['--email', 'rey@example.com', '--name', 'Rey Research', '--workspace', 'Canvas Lab'], 'rey-password-1');
  // `make bench`: the canvas's frame time, in a workspace of its own.
  createUser(s, ['--email', 'bea@example.com', '--name', 'Bea Bench', '--admin', '--workspace', 'Bench Lab'], 'bea-password-1');
  // The file server through the real SDK: a member of a workspace of their own.
  createUser(s, ['--email', 'fay@example.com', '--name', 'Fay Files', '--workspace', 'Files Lab'], 'fay-password-1');
  // Identity providers: an administrator whose workspace logs in through a real OpenID provider.
  createUser(s, ['--email', 'olga@example.com', '--name', 'Olga Admin', '--admin', '--workspace', 'SSO Lab'], 'olga-password-1');
  createUser(s, ['--email', 'ines@example.com', '--name', 'Ines Admin', '--admin', '--workspace', 'IdP Editor'], 'ines-password-1');
  const state: ServerState = {
    ...s,
    admin: { login: 'admin@example.com', password: 'admin-password-1' },
    member: { login: 'member', password: 'member-password-1' },
  };
  mkdirSync('.state', { recursive: true });
  writeFileSync('.state/server.json', JSON.stringify(state, null, 2));
}
