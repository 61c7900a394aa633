// Runs the official @keycloak/keycloak-admin-client against kc-sim, or a real
// Keycloak, with the calls its own test suite makes (auth, realms, clients,
// mappers, roles, groups, users, role mappings, identity providers, flows,
// partial import/export). The same assertions hold for both: a step that fails
// only on kc-sim is a kc-sim bug, one that fails on Keycloak is a bug here.
//
// Usage: KC_SIM_BIN=/path/to/kc-sim node compat.mjs
//        KC_URL=http://host:port KC_ADMIN_USER=… KC_ADMIN_PASSWORD=… node compat.mjs
// (KC_URL: a running server, kc-sim or Keycloak; the admin defaults to kc-sim's admin/admin.)
import KcAdminClient from "@keycloak/keycloak-admin-client";
import { spawn } from "node:child_process";
import assert from "node:assert/strict";

async function startSimulator() {
  if (process.env.KC_URL) return { url: process.env.KC_URL, stop() {} };
  const bin = process.env.KC_SIM_BIN ?? new URL("../../../target/debug/kc-sim", import.meta.url).pathname;
  const child = spawn(bin, ["--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
  const url = await new Promise((resolve, reject) => {
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
      const m = err.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`kc-sim exited (${code}): ${err}`)));
  });
  return { url, stop: () => child.kill() };
}

const steps = [];
async function step(name, fn) {
  try {
    await fn();
    steps.push(["ok", name]);
  } catch (e) {
    steps.push(["FAIL", name, e]);
  }
}

const sim = await startSimulator();
const kc = new KcAdminClient({ baseUrl: sim.url, realmName: "master" });
// A realm of its own, so that runs against a shared server never meet.
const realmName = `compat-${Math.random().toString(36).slice(2, 10)}`;
const admin = { username: process.env.KC_ADMIN_USER ?? "admin", password: process.env.KC_ADMIN_PASSWORD ?? "admin" };

await step("auth (password grant, admin-cli)", () =>
  kc.auth({ ...admin, grantType: "password", clientId: "admin-cli" }));

await step("realms: create, findOne, update, keys", async () => {
  const created = await kc.realms.create({ realm: realmName, enabled: true });
  assert.equal(created.realmName, realmName);
  kc.setConfig({ realmName });
  const realm = await kc.realms.findOne({ realm: realmName });
  assert.equal(realm.realm, realmName);
  await kc.realms.update({ realm: realmName }, { displayName: "Compat" });
  assert.equal((await kc.realms.findOne({ realm: realmName })).displayName, "Compat");
  const keys = await kc.realms.getKeys({ realm: realmName });
  assert.ok(keys.active.RS256);
  assert.equal(await kc.realms.findOne({ realm: "nope" }), null);
});

let clientId;
await step("clients: create, find, findOne, update, secrets", async () => {
  ({ id: clientId } = await kc.clients.create({ clientId: "app", protocol: "openid-connect", publicClient: false }));
  const [found] = await kc.clients.find({ clientId: "app" });
  assert.equal(found.id, clientId);
  const one = await kc.clients.findOne({ id: clientId });
  await kc.clients.update({ id: clientId }, { ...one, description: "updated" });
  assert.equal((await kc.clients.findOne({ id: clientId })).description, "updated");
  const secret = await kc.clients.getClientSecret({ id: clientId });
  const fresh = await kc.clients.generateNewClientSecret({ id: clientId });
  assert.notEqual(secret.value, fresh.value);
  assert.equal(await kc.clients.findOne({ id: "missing" }), null);
});

await step("protocol mappers: add, add-models, list, update, delete", async () => {
  const mapper = { name: "groups", protocol: "openid-connect", protocolMapper: "oidc-group-membership-mapper", config: { "claim.name": "groups" } };
  await kc.clients.addProtocolMapper({ id: clientId }, mapper);
  await kc.clients.addMultipleProtocolMappers({ id: clientId }, [{ ...mapper, name: "groups2" }]);
  const list = await kc.clients.listProtocolMappers({ id: clientId });
  assert.equal(list.length, 2);
  const m = await kc.clients.findProtocolMapperById({ id: clientId, mapperId: list[0].id });
  await kc.clients.updateProtocolMapper({ id: clientId, mapperId: m.id }, { ...m, config: { "claim.name": "g" } });
  await kc.clients.delProtocolMapper({ id: clientId, mapperId: m.id });
  assert.equal((await kc.clients.listProtocolMappers({ id: clientId })).length, 1);
});

let role;
await step("client and realm roles", async () => {
  const { roleName } = await kc.clients.createRole({ id: clientId, name: "access" });
  assert.equal(roleName, "access");
  role = await kc.clients.findRole({ id: clientId, roleName: "access" });
  assert.equal((await kc.clients.listRoles({ id: clientId })).length, 1);
  await kc.roles.create({ name: "partner" });
  const r = await kc.roles.findOneByName({ name: "partner" });
  assert.equal((await kc.roles.findOneById({ id: r.id })).name, "partner");
  await kc.roles.updateByName({ name: "partner" }, { name: "partner", description: "d" });
  await kc.roles.delByName({ name: "partner" });
  assert.equal(await kc.roles.findOneByName({ name: "partner" }), null);
});

let groupId;
await step("groups: create, children, count, role mappings", async () => {
  ({ id: groupId } = await kc.groups.create({ name: "partners" }));
  const child = await kc.groups.createChildGroup({ id: groupId }, { name: "acme" });
  assert.ok(child.id);
  const sub = await kc.groups.listSubGroups({ parentId: groupId });
  assert.equal(sub[0].name, "acme");
  assert.equal((await kc.groups.count()).count, 2);
  const top = await kc.groups.find();
  assert.equal(top[0].subGroupCount, 1);
  await kc.groups.update({ id: groupId }, { name: "partners", attributes: { tier: ["gold"] } });
  await kc.groups.addClientRoleMappings({ id: groupId, clientUniqueId: clientId, roles: [{ id: role.id, name: role.name }] });
  const mapped = await kc.groups.listClientRoleMappings({ id: groupId, clientUniqueId: clientId });
  assert.equal(mapped[0].name, "access");
});

await step("users: create, find, groups, effective roles", async () => {
  const { id } = await kc.users.create({ username: "alice", enabled: true, email: "alice@example.org" });
  const [u] = await kc.users.find({ username: "alice", exact: true });
  assert.equal(u.id, id);
  await kc.users.update({ id }, { firstName: "Alice" });
  await kc.users.addToGroup({ id, groupId });
  assert.equal((await kc.users.listGroups({ id }))[0].name, "partners");
  const members = await kc.groups.listMembers({ id: groupId });
  assert.equal(members[0].username, "alice");
  const eff = await kc.users.listCompositeClientRoleMappings({ id, clientUniqueId: clientId });
  assert.equal(eff[0].name, "access");
  await kc.users.delFromGroup({ id, groupId });
  await kc.users.del({ id });
});

await step("identity providers and mappers, import from URL", async () => {
  await kc.identityProviders.create({ alias: "partner", providerId: "saml", config: { singleSignOnServiceUrl: "https://idp.example/sso" } });
  const idp = await kc.identityProviders.findOne({ alias: "partner" });
  assert.equal(idp.providerId, "saml");
  await kc.identityProviders.update({ alias: "partner" }, { ...idp, displayName: "Partner" });
  const { id } = await kc.identityProviders.createMapper({
    alias: "partner",
    identityProviderMapper: { name: "grp", identityProviderMapper: "oidc-hardcoded-group-idp-mapper", identityProviderAlias: "partner", config: { group: "/partners" } },
  });
  assert.equal((await kc.identityProviders.findMappers({ alias: "partner" }))[0].id, id);
  await kc.identityProviders.delMapper({ alias: "partner", id });
  const imported = await kc.identityProviders.importFromUrl({ providerId: "saml", fromUrl: `${sim.url}/realms/master/protocol/saml/descriptor` });
  assert.equal(imported.idpEntityId, `${sim.url}/realms/master`);
  await kc.identityProviders.del({ alias: "partner" });
});

await step("authentication flows: copy, executions, sub-flows, configs", async () => {
  const flows = await kc.authenticationManagement.getFlows();
  assert.ok(flows.find((f) => f.alias === "browser"));
  await kc.authenticationManagement.copyFlow({ flow: "browser", newName: "restricted" });
  await kc.authenticationManagement.createFlow({ alias: "gate-flow", providerId: "basic-flow", topLevel: true, builtIn: false });
  await kc.authenticationManagement.addFlowToFlow({ flow: "gate-flow", alias: "gate", type: "basic-flow", provider: "registration-page-form", description: "" });
  await kc.authenticationManagement.addExecutionToFlow({ flow: "gate", provider: "conditional-user-role" });
  await kc.authenticationManagement.addExecutionToFlow({ flow: "gate", provider: "deny-access-authenticator" });
  const rows = await kc.authenticationManagement.getExecutions({ flow: "gate-flow" });
  assert.equal(rows.length, 3);
  await kc.authenticationManagement.updateExecution({ flow: "gate-flow" }, { ...rows[0], requirement: "CONDITIONAL" });
  const { id } = await kc.authenticationManagement.createConfig({ id: rows[1].id, alias: "cond", config: { condUserRole: "app.access", negate: "true" } });
  assert.equal((await kc.authenticationManagement.getConfig({ id })).alias, "cond");
  await kc.authenticationManagement.updateConfig({ id, alias: "cond", config: { condUserRole: "x" } });
  await kc.authenticationManagement.raisePriorityExecution({ id: rows[2].id });
  await kc.authenticationManagement.lowerPriorityExecution({ id: rows[2].id });
  await kc.authenticationManagement.delConfig({ id });
  await kc.authenticationManagement.delExecution({ id: rows[2].id });
  const gate = (await kc.authenticationManagement.getFlows()).find((f) => f.alias === "gate-flow");
  await kc.authenticationManagement.deleteFlow({ flowId: gate.id });
  assert.ok((await kc.authenticationManagement.getRequiredActions()).length > 0);
});

await step("partial export and import", async () => {
  const exported = await kc.realms.export({ realm: realmName, exportClients: true, exportGroupsAndRoles: true });
  assert.ok(exported.clients.find((c) => c.clientId === "app"));
  const result = await kc.realms.partialImport({ realm: realmName, rep: { ifResourceExists: "SKIP", clients: [{ clientId: "app" }, { clientId: "new" }] } });
  assert.equal(result.added, 1);
  assert.equal(result.skipped, 1);
});

await step("cleanup: delete client and realm", async () => {
  await kc.clients.del({ id: clientId });
  await kc.realms.del({ realm: realmName });
});

sim.stop();
let failed = 0;
for (const [status, name, err] of steps) {
  console.log(`${status.padEnd(4)} ${name}`);
  if (err) {
    failed++;
    console.log(`     ${err.message ?? err}${err.responseData ? " " + JSON.stringify(err.responseData) : ""}`);
  }
}
console.log(`${steps.length - failed}/${steps.length} steps passed`);
process.exit(failed ? 1 : 0);
