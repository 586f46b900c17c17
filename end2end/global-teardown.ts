import { readFileSync } from 'node:fs';
import { stopServer } from './server';

export default async function globalTeardown() {
  stopServer(JSON.parse(readFileSync('.state/server.json', 'utf8')));
}
