// Runs graphql-http's auditServer (the GraphQL over HTTP specification's reference audits) against the URL
// given, as the client whose token is in HUB_AUDIT_TOKEN, and prints each audit's result as a JSON line.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const token = process.env.HUB_AUDIT_TOKEN;
const fetchFn = (input, init = {}) =>
  fetch(input, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${token}` } });

const results = await auditServer({ url, fetchFn });
for (const result of results) {
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    line.reason = result.reason;
  }
  console.log(JSON.stringify(line));
}
