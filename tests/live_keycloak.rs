//! fedctl against a live Keycloak over the admin REST API: the simulator always, and a real
//! server too when `FEDCTL_REAL_KEYCLOAK_URL` (+ `FEDCTL_REAL_KEYCLOAK_USER`/`_PASSWORD` of a
//! master admin) is set, as scripts/test.sh does — see docs/real-keycloak.md. Scenarios that need the simulator's request counts,
//! fault injection or version switch run against it alone.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{Workspace, oidc_record, runbook_record};
use fedctl::keycloak::admin::client::AdminClient;
use fedctl::keycloak::admin::secret::Secret;
use fedctl::keycloak::admin::{Connection, Credentials};
use kc_sim::{Faults, Simulator, SimulatorBuilder};
use predicates::prelude::*;
use serde_json::{Value, json};

const CLIENT: &str = "https://app.partner.example.org";
const FLOW: &str = "fedctl-restrict-partner-example";
const GROUP: &str = "/partner-example-users";
const ADMIN_PASSWORD: &str = "Adm1n-pa55word-never-printed";

/// One Keycloak (simulated or real) with a realm of its own for one test.
struct Server {
    sim: Option<Simulator>,
    url: String,
    user: String,
    password: String,
    realm: String,
    admin: AdminClient,
    runtime: tokio::runtime::Runtime,
}

impl Server {
    fn sim() -> Server {
        Server::sim_with(Simulator::builder())
    }

    fn sim_with(builder: SimulatorBuilder) -> Server {
        let sim = builder
            .admin_credentials("admin", ADMIN_PASSWORD)
            .start()
            .expect("simulator starts");
        let realm = "your-realm".to_owned();
        sim.add_realm(&realm);
        let url = sim.url();
        Server::new(Some(sim), url, "admin".into(), ADMIN_PASSWORD.into(), realm)
    }

    /// A real Keycloak when `FEDCTL_REAL_KEYCLOAK_URL` is set, with a fresh realm (deleted on
    /// drop). Not `KEYCLOAK_URL`: a developer's own server must never get test realms.
    fn real() -> Option<Server> {
        let Ok(url) = std::env::var("FEDCTL_REAL_KEYCLOAK_URL") else {
            // Straight to stderr: the test harness would swallow eprintln! of a passing test.
            let _ = writeln!(
                std::io::stderr(),
                "real Keycloak part SKIPPED: FEDCTL_REAL_KEYCLOAK_URL is not set"
            );
            return None;
        };
        let var = |name: &str| {
            std::env::var(name)
                .unwrap_or_else(|_| panic!("{name} must be set with FEDCTL_REAL_KEYCLOAK_URL"))
        };
        let (user, password) = (
            var("FEDCTL_REAL_KEYCLOAK_USER"),
            var("FEDCTL_REAL_KEYCLOAK_PASSWORD"),
        );
        let realm = format!("fedctl-test-{}", fastrand::u32(..));
        let master = Server::new(
            None,
            url.clone(),
            user.clone(),
            password.clone(),
            "master".into(),
        );
        master.realms_request(
            reqwest::Method::POST,
            "",
            Some(json!({"realm": realm, "enabled": true})),
        );
        Some(Server::new(None, url, user, password, realm))
    }

    /// The simulator, plus the real server when one is configured.
    fn all() -> Vec<Server> {
        let mut servers = vec![Server::sim()];
        servers.extend(Server::real());
        servers
    }

    fn new(
        sim: Option<Simulator>,
        url: String,
        user: String,
        password: String,
        realm: String,
    ) -> Server {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let connection = Connection {
            server: Connection::server_url(&url, false).unwrap(),
            realm: realm.clone(),
            auth_realm: "master".into(),
            credentials: Credentials::AdminUser {
                username: user.clone(),
                password: Secret::new(password.clone()),
            },
            ca_cert: None,
            concurrency: 4,
            timeout: Duration::from_secs(30),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Server {
            admin: AdminClient::connect(&connection).unwrap(),
            sim,
            url,
            user,
            password,
            realm,
            runtime,
        }
    }

    fn sim_ref(&self) -> &Simulator {
        self.sim.as_ref().expect("a simulator scenario")
    }

    /// `POST/DELETE {url}/admin/realms/{name}` (realm management is outside any realm).
    fn realms_request(&self, method: reqwest::Method, name: &str, body: Option<Value>) {
        let token: Value = self.runtime.block_on(async {
            reqwest::Client::new()
                .post(format!(
                    "{}/realms/master/protocol/openid-connect/token",
                    self.url
                ))
                .form(&[
                    ("grant_type", "password"),
                    ("client_id", "admin-cli"),
                    ("username", &self.user),
                    ("password", &self.password),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        });
        let status = self.runtime.block_on(async {
            let mut request = reqwest::Client::new()
                .request(method, format!("{}/admin/realms/{name}", self.url))
                .bearer_auth(token["access_token"].as_str().unwrap());
            if let Some(body) = &body {
                request = request.json(body);
            }
            request.send().await.unwrap().status()
        });
        assert!(status.is_success(), "realm request: {status}");
    }

    fn get(&self, path: &[&str]) -> Value {
        self.runtime
            .block_on(self.admin.get(path, &[]))
            .unwrap_or_else(|e| panic!("GET {path:?}: {e}"))
    }

    fn put(&self, path: &[&str], body: &Value) {
        self.runtime.block_on(self.admin.put(path, body)).unwrap();
    }

    fn create(&self, path: &[&str], body: &Value) -> String {
        self.runtime
            .block_on(self.admin.create(path, body))
            .unwrap()
    }

    fn clients_named(&self, client_id: &str) -> Vec<Value> {
        let found = self
            .runtime
            .block_on(self.admin.get(&["clients"], &[("clientId", client_id)]))
            .unwrap();
        found.as_array().cloned().unwrap_or_default()
    }

    fn client(&self, client_id: &str) -> Value {
        let mut found = self.clients_named(client_id);
        assert_eq!(found.len(), 1, "exactly one client {client_id}");
        found.remove(0)
    }

    fn has_client(&self, client_id: &str) -> bool {
        !self.clients_named(client_id).is_empty()
    }

    fn group(&self, path: &str) -> Option<Value> {
        let mut current: Option<Value> = None;
        for name in path.trim_start_matches('/').split('/') {
            let siblings = match &current {
                None => self
                    .get(&["groups"])
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
                Some(parent) => self
                    .runtime
                    .block_on(fedctl::keycloak::admin::read::group_children(
                        &self.admin,
                        parent,
                    ))
                    .unwrap(),
            };
            let found = siblings.into_iter().find(|g| g["name"] == name)?;
            current = Some(self.get(&["groups", found["id"].as_str().unwrap()]));
        }
        current
    }

    fn flow(&self, alias: &str) -> Option<Value> {
        let flows = self.get(&["authentication", "flows"]);
        flows
            .as_array()?
            .iter()
            .find(|f| f["alias"] == alias)
            .cloned()
    }

    /// Admin requests that change something. The partial export is a POST that only reads.
    fn writes(&self) -> u64 {
        let counts = self.sim_ref().request_counts();
        counts.writes - counts.get("POST /admin/realms/{realm}/partial-export")
    }

    /// `fedctl <subcommand> --url URL <records> <extra…>` with the admin in the environment.
    fn fedctl(
        &self,
        workspace: &Workspace,
        subcommand: &str,
        extra: &[&str],
    ) -> assert_cmd::assert::Assert {
        let admin = (self.user.as_str(), self.password.as_str());
        workspace.run_live(&self.url, admin, subcommand, extra)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.sim.is_none() && self.realm != "master" {
            let realm = self.realm.clone();
            self.realms_request(reqwest::Method::DELETE, &realm, None);
        }
    }
}

fn runbook(server: &Server) -> Workspace {
    Workspace::new(&[("partner-example.yaml", &runbook_record(&server.realm))])
}

fn attribute<'v>(representation: &'v Value, key: &str) -> &'v Value {
    &representation["attributes"][key]
}

// ---------------------------------------------------------------------------------------------

#[test]
fn the_runbook_record_becomes_exactly_the_keycloak_objects_it_describes() {
    for server in Server::all() {
        let workspace = runbook(&server);
        server
            .fedctl(&workspace, "apply", &["--yes"])
            .success()
            .stdout(predicate::str::contains("Applied"));
        assert_runbook_objects(&server);
        server
            .fedctl(&workspace, "plan", &["--detailed-exitcode"])
            .code(0)
            .stdout(predicate::str::contains("No changes"));
    }
}

fn assert_runbook_objects(server: &Server) {
    // The client, field by field.
    let client = server.client(CLIENT);
    assert_eq!(client["protocol"], "saml");
    assert_eq!(client["name"], "Example Partner Organisation");
    assert_eq!(
        client["description"],
        "Federation with Example Partner Organisation (record partner-example)"
    );
    assert_eq!(client["enabled"], true);
    assert_eq!(client["frontchannelLogout"], true);
    assert_eq!(
        client["redirectUris"],
        json!([format!("{CLIENT}/saml/acs")])
    );
    for (key, value) in [
        ("fedctl.managed-by", "partner-example"),
        ("fedctl.mappers", "department,display_name,email"),
        (
            "saml_assertion_consumer_url_post",
            "https://app.partner.example.org/saml/acs",
        ),
        ("saml_name_id_format", "email"),
        ("saml_force_name_id_format", "true"),
        ("saml.assertion.signature", "true"),
        ("saml.server.signature", "true"),
        ("saml.client.signature", "false"),
        ("saml.encrypt", "false"),
        ("saml.signature.algorithm", "RSA_SHA256"),
        ("saml.force.post.binding", "true"),
        ("saml.authnstatement", "true"),
        (
            "saml_signature_canonicalization_method",
            "http://www.w3.org/2001/10/xml-exc-c14n#",
        ),
    ] {
        assert_eq!(attribute(&client, key), value, "client attribute {key}");
    }
    assert!(
        attribute(&client, "saml_single_logout_service_url_post").is_null(),
        "no SLO URL without one in the record"
    );

    // One mapper per shared attribute, with the profile's settings.
    let uuid = client["id"].as_str().unwrap();
    let mappers = server.get(&["clients", uuid, "protocol-mappers", "models"]);
    let mappers = mappers.as_array().unwrap();
    assert_eq!(mappers.len(), 3, "{mappers:#?}");
    let mapper = |name: &str| mappers.iter().find(|m| m["name"] == name).unwrap().clone();
    let email = mapper("email");
    assert_eq!(email["protocol"], "saml");
    assert_eq!(email["protocolMapper"], "saml-user-property-mapper");
    assert_eq!(
        email["config"],
        json!({"attribute.name": "email", "attribute.nameformat": "Basic",
               "friendly.name": "email", "user.attribute": "email"})
    );
    for (name, saml_name) in [
        ("display_name", "displayName"),
        ("department", "department"),
    ] {
        let m = mapper(name);
        assert_eq!(m["protocolMapper"], "saml-user-attribute-mapper", "{name}");
        assert_eq!(
            m["config"],
            json!({"aggregate.attrs": "false", "attribute.name": saml_name,
                   "attribute.nameformat": "Basic", "friendly.name": saml_name,
                   "user.attribute": saml_name}),
            "{name}"
        );
    }

    // The client role, and the group holding it.
    let role = server.get(&["clients", uuid, "roles", "access"]);
    assert_eq!(
        role["description"],
        "Access to Example Partner Organisation (granted to the group of record partner-example)"
    );
    assert_eq!(
        attribute(&role, "fedctl.managed-by"),
        &json!(["partner-example"])
    );
    let group = server.group(GROUP).expect("the access group exists");
    assert_eq!(
        attribute(&group, "fedctl.managed-by"),
        &json!(["partner-example"])
    );
    let group_id = group["id"].as_str().unwrap();
    let granted = server.get(&["groups", group_id, "role-mappings", "clients", uuid]);
    let granted: Vec<&str> = granted
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(granted, ["access"]);

    // The enforcement flow, bound to the client.
    let flow = server.flow(FLOW).expect("the enforcement flow exists");
    assert_eq!(
        flow["description"],
        "Browser flow for Example Partner Organisation: only holders of the client role access may sign in. [managed by fedctl: partner-example]"
    );
    assert_eq!(
        client["authenticationFlowBindingOverrides"]["browser"],
        flow["id"]
    );
    let rows = server.get(&["authentication", "flows", FLOW, "executions"]);
    let outline: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let what = if row["authenticationFlow"] == true {
                "flow".to_owned()
            } else {
                row["providerId"].as_str().unwrap().to_owned()
            };
            format!(
                "{} {} {what}",
                row["level"],
                row["requirement"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        outline,
        [
            "0 REQUIRED flow",
            "1 ALTERNATIVE auth-cookie",
            "1 ALTERNATIVE identity-provider-redirector",
            "1 ALTERNATIVE flow",
            "2 REQUIRED auth-username-password-form",
            "2 CONDITIONAL flow",
            "3 REQUIRED conditional-user-configured",
            "3 REQUIRED auth-otp-form",
            "0 CONDITIONAL flow",
            "1 REQUIRED conditional-user-role",
            "1 REQUIRED deny-access-authenticator",
        ]
    );
    let condition = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["providerId"] == "conditional-user-role")
        .unwrap();
    let config = server.get(&[
        "authentication",
        "config",
        condition["authenticationConfig"].as_str().unwrap(),
    ]);
    assert_eq!(
        config["config"],
        json!({"condUserRole": format!("{CLIENT}.access"), "negate": "true"})
    );
}

#[test]
fn a_converged_realm_plans_no_changes_and_a_second_apply_writes_nothing() {
    let server = Server::sim();
    let workspace = runbook(&server);
    // A confidential OIDC client too: binding its flow must not let Keycloak refill its
    // (empty) web origins.
    workspace.write_record(
        "oidc-partner.yaml",
        &oidc_record(&server.realm, "oidc-partner", "oidc-partner-users"),
    );
    server.fedctl(&workspace, "apply", &["--yes"]).success();
    server.sim_ref().reset_counts();
    server
        .fedctl(&workspace, "plan", &["--detailed-exitcode"])
        .code(0);
    let plan = server.sim_ref().request_counts();
    // Token + one partial export + the user profile (for the undeclared-attribute warning).
    assert!(plan.total <= 3, "{plan:#?}");
    server
        .fedctl(&workspace, "apply", &["--yes"])
        .success()
        .stdout(predicate::str::contains("No changes"));
    assert_eq!(
        server.writes(),
        0,
        "{:#?}",
        server.sim_ref().request_counts()
    );
}

#[test]
fn drift_in_a_managed_field_is_planned_back_and_unmanaged_attributes_survive() {
    for server in Server::all() {
        let workspace = runbook(&server);
        server.fedctl(&workspace, "apply", &["--yes"]).success();
        let uuid = server.client(CLIENT)["id"].as_str().unwrap().to_owned();
        server.put(
            &["clients", &uuid],
            &json!({"clientId": CLIENT, "name": "Renamed by hand",
                    "attributes": {"saml_name_id_format": "username", "note.by-hand": "keep me"}}),
        );
        server
            .fedctl(&workspace, "plan", &["--detailed-exitcode"])
            .code(2)
            .stdout(
                predicate::str::contains("\"Renamed by hand\" → \"Example Partner Organisation\"")
                    .and(predicate::str::contains("saml_name_id_format"))
                    .and(predicate::str::contains("note.by-hand").not()),
            );
        server.fedctl(&workspace, "apply", &["--yes"]).success();
        let client = server.client(CLIENT);
        assert_eq!(client["name"], "Example Partner Organisation");
        assert_eq!(attribute(&client, "saml_name_id_format"), "email");
        assert_eq!(attribute(&client, "note.by-hand"), "keep me");
        // The mappers survived the client update (a PUT never carries protocolMappers).
        let mappers = server.get(&["clients", &uuid, "protocol-mappers", "models"]);
        assert_eq!(mappers.as_array().unwrap().len(), 3);
        server
            .fedctl(&workspace, "plan", &["--detailed-exitcode"])
            .code(0);
    }
}

#[test]
fn prune_deletes_only_what_fedctl_created_for_a_removed_record() {
    for server in Server::all() {
        let workspace = runbook(&server);
        workspace.write_record(
            "oidc-partner.yaml",
            &oidc_record(&server.realm, "oidc-partner", "oidc-partner-users"),
        );
        server.fedctl(&workspace, "apply", &["--yes"]).success();
        // Objects an admin made by hand, one of them colliding with nothing fedctl manages.
        server.create(
            &["clients"],
            &json!({"clientId": "hand-made", "protocol": "openid-connect", "publicClient": true}),
        );
        server.create(
            &["groups"],
            &json!({"name": "hand-made-group", "attributes": {"team": ["it"]}}),
        );
        let hand_made_client = server.client("hand-made");

        workspace.remove_record("oidc-partner.yaml");
        server
            .fedctl(&workspace, "plan", &[])
            .success()
            .stdout(predicate::str::contains(
                "record oidc-partner is gone; kept",
            ));
        assert!(server.has_client("oidc-partner"), "plan changes nothing");
        server
            .fedctl(&workspace, "apply", &["--yes", "--prune"])
            .success();

        assert!(!server.has_client("oidc-partner"));
        assert!(server.group("/oidc-partner-users").is_none());
        assert!(server.flow("fedctl-restrict-oidc-partner").is_none());
        assert_eq!(server.client("hand-made"), hand_made_client);
        let group = server.group("/hand-made-group").expect("kept");
        assert_eq!(attribute(&group, "team"), &json!(["it"]));
        assert_runbook_objects(&server);
    }
}

#[test]
fn an_existing_client_is_a_conflict_until_adopted() {
    for server in Server::all() {
        let workspace = runbook(&server);
        server.create(
            &["clients"],
            &json!({"clientId": CLIENT, "protocol": "saml", "name": "Made by hand",
                    "attributes": {"note.by-hand": "keep me"}}),
        );
        // A conflict left fails the drift gate, and apply applies nothing of the record.
        server
            .fedctl(&workspace, "plan", &["--detailed-exitcode"])
            .code(1)
            .stdout(predicate::str::contains("was not created by fedctl"))
            .stderr(predicate::str::contains("not enforced"));
        server.fedctl(&workspace, "apply", &["--yes"]).code(1);
        assert_eq!(server.client(CLIENT)["name"], "Made by hand");
        assert!(server.flow(FLOW).is_none(), "no flow bound to nothing");
        assert!(server.group(GROUP).is_none());

        server
            .fedctl(&workspace, "apply", &["--yes", "--adopt"])
            .success();
        let client = server.client(CLIENT);
        assert_eq!(attribute(&client, "fedctl.managed-by"), "partner-example");
        assert_eq!(attribute(&client, "note.by-hand"), "keep me");
        assert_runbook_objects(&server);
        server
            .fedctl(&workspace, "plan", &["--detailed-exitcode"])
            .code(0);
    }
}

/// A user who is a member of the given groups.
fn add_member(server: &Server, username: &str, groups: &[&str]) {
    let id = server.create(&["users"], &json!({"username": username, "enabled": true}));
    for path in groups {
        let group = server.group(path).expect("group exists");
        server.put(
            &["users", &id, "groups", group["id"].as_str().unwrap()],
            &json!({}),
        );
    }
}

fn one_partner(server: &Server, group: &str) -> Workspace {
    Workspace::new(&[("acme.yaml", &oidc_record(&server.realm, "acme", group))])
}

fn two_partners(server: &Server) -> Workspace {
    Workspace::new(&[
        (
            "acme.yaml",
            &oidc_record(&server.realm, "acme", "acme-users"),
        ),
        (
            "globex.yaml",
            &oidc_record(&server.realm, "globex", "globex-users"),
        ),
    ])
}

#[test]
fn a_partial_run_plans_only_its_records_and_refuses_to_prune() {
    for server in Server::all() {
        let workspace = two_partners(&server);
        server.fedctl(&workspace, "apply", &["--yes"]).success();
        server
            .fedctl(
                &workspace,
                "plan",
                &["--record", "acme", "--detailed-exitcode"],
            )
            .code(0)
            .stdout(predicate::str::contains("gone").not());
        workspace.remove_record("globex.yaml");
        // globex's file is gone, but a partial run on acme never reports or prunes it.
        server
            .fedctl(&workspace, "plan", &["--record", "acme"])
            .success()
            .stdout(predicate::str::contains("globex").not());
        server
            .fedctl(
                &workspace,
                "apply",
                &["--record", "acme", "--yes", "--prune"],
            )
            .code(1)
            .stderr(predicate::str::contains("partial run"));
        assert!(server.has_client("globex"));
    }
}

#[test]
fn a_group_change_keeps_the_old_group_and_its_members_until_prune() {
    for server in Server::all() {
        let workspace = two_partners(&server);
        server.fedctl(&workspace, "apply", &["--yes"]).success();
        add_member(&server, "ann", &["/acme-users"]);
        add_member(&server, "bob", &["/acme-users", "/globex-users"]);
        workspace.write_record(
            "acme.yaml",
            &oidc_record(&server.realm, "acme", "acme-staff"),
        );
        server
            .fedctl(&workspace, "plan", &[])
            .success()
            .stdout(predicate::str::contains(
                "? group /acme-users — record acme no longer uses it; its 2 members keep the group but lose access to acme",
            ));
        server.fedctl(&workspace, "apply", &["--yes"]).success();
        assert!(server.group("/acme-users").is_some(), "old group kept");
        assert!(server.group("/acme-staff").is_some());

        server
            .fedctl(&workspace, "apply", &["--yes", "--prune"])
            .success()
            .stdout(predicate::str::contains("members: 2 → (none)"));
        assert!(server.group("/acme-users").is_none());
        assert!(server.group("/globex-users").is_some());
    }
}

#[test]
fn a_hand_made_subgroup_survives_the_prune_of_its_managed_parent() {
    for server in Server::all() {
        let workspace = one_partner(&server, "/partners/acme");
        server.fedctl(&workspace, "apply", &["--yes"]).success();
        let parent = server.group("/partners").unwrap();
        server.create(
            &["groups", parent["id"].as_str().unwrap(), "children"],
            &json!({"name": "handmade"}),
        );
        workspace.remove_record("acme.yaml");
        server
            .fedctl(
                &workspace,
                "apply",
                &[
                    "--yes",
                    "--prune",
                    "--allow-empty",
                    "--realm",
                    &server.realm,
                ],
            )
            .success()
            .stdout(predicate::str::contains(
                "kept, as Keycloak would delete subgroup /partners/handmade with it",
            ));
        assert!(server.group("/partners/handmade").is_some());
        assert!(server.group("/partners/acme").is_none());
        assert!(!server.has_client("acme"));
    }
}

#[test]
fn adopt_then_prune_never_deletes_a_hand_made_group() {
    for server in Server::all() {
        let workspace = one_partner(&server, "staff");
        server.create(
            &["groups"],
            &json!({"name": "staff", "attributes": {"team": ["it"]}}),
        );
        server
            .fedctl(&workspace, "apply", &["--yes", "--adopt"])
            .success();
        assert!(attribute(&server.group("/staff").unwrap(), "fedctl.managed-by").is_null());
        workspace.remove_record("acme.yaml");
        server
            .fedctl(
                &workspace,
                "apply",
                &[
                    "--yes",
                    "--prune",
                    "--allow-empty",
                    "--realm",
                    &server.realm,
                ],
            )
            .success();
        assert!(!server.has_client("acme"));
        assert!(server.group("/staff").is_some());
    }
}

#[test]
fn a_mapper_added_by_hand_to_a_managed_client_is_planned_and_removed() {
    for server in Server::all() {
        let workspace = one_partner(&server, "acme-users");
        server.fedctl(&workspace, "apply", &["--yes"]).success();
        let id = server.client("acme")["id"].as_str().unwrap().to_owned();
        server.create(
            &["clients", &id, "protocol-mappers", "models"],
            &json!({"name": "uid", "protocol": "openid-connect",
                    "protocolMapper": "oidc-usermodel-property-mapper",
                    "config": {"user.attribute": "username", "claim.name": "uid"}}),
        );
        server
            .fedctl(&workspace, "plan", &["--detailed-exitcode"])
            .code(2)
            .stdout(predicate::str::contains(
                "- mapper uid of client acme — added outside fedctl",
            ));
        server.fedctl(&workspace, "apply", &["--yes"]).success();
        let mappers = server.get(&["clients", &id, "protocol-mappers", "models"]);
        assert!(
            mappers
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["name"] != "uid")
        );
        server
            .fedctl(&workspace, "plan", &["--detailed-exitcode"])
            .code(0);
    }
}

#[test]
fn a_saved_plan_runs_as_reviewed_or_not_at_all() {
    for server in Server::all() {
        let workspace = two_partners(&server);
        server
            .fedctl(&workspace, "plan", &["--out", "plan.json"])
            .success();
        let apply = |extra: &[&str]| {
            let mut command = common::fedctl();
            command
                .current_dir(workspace.dir.path())
                .env("KEYCLOAK_USER", &server.user)
                .env("KEYCLOAK_PASSWORD", &server.password)
                .env_remove("KEYCLOAK_REALM")
                .args(["apply", "--url", &server.url, "plan.json"])
                .args(extra);
            command.assert()
        };
        apply(&["--yes"]).success();
        assert!(server.has_client("acme") && server.has_client("globex"));

        workspace.write_record(
            "acme.yaml",
            &oidc_record(&server.realm, "acme", "acme-staff"),
        );
        server
            .fedctl(&workspace, "plan", &["--out", "plan.json"])
            .success();
        let acme = server.client("acme");
        let id = acme["id"].as_str().unwrap();
        let mut edited = acme.clone();
        edited["name"] = json!("edited by hand");
        server.put(&["clients", id], &edited);
        let writes = server.sim.as_ref().map(|_| server.writes());
        apply(&["--yes"]).code(1).stderr(predicate::str::contains(
            "the target changed since the plan was made",
        ));
        if let Some(writes) = writes {
            assert_eq!(server.writes(), writes, "nothing written");
        }
        assert!(server.group("/acme-staff").is_none());
    }
}

/// Records named `partner-NNN.yaml` with a client and group each.
fn many_records(workspace: &Workspace, realm: &str, count: usize) {
    for i in 0..count {
        workspace.write_record(
            &format!("partner-{i:03}.yaml"),
            &oidc_record(
                realm,
                &format!("partner-{i:03}"),
                &format!("partner-{i:03}-users"),
            ),
        );
    }
}

#[test]
fn tokens_are_renewed_during_a_long_apply() {
    let server = Server::sim_with(
        Simulator::builder()
            .token_lifespan(Duration::from_secs(2))
            .faults(Faults {
                latency_ms: 50,
                ..Faults::default()
            }),
    );
    let workspace = Workspace::new(&[]);
    many_records(&workspace, &server.realm, 12);
    let started = Instant::now();
    server
        .fedctl(&workspace, "apply", &["--yes", "--concurrency", "2"])
        .success();
    assert!(
        started.elapsed() > Duration::from_secs(3),
        "long enough to outlive tokens"
    );
    let tokens = server
        .sim_ref()
        .request_counts()
        .get("POST /realms/{realm}/protocol/openid-connect/token");
    assert!(tokens >= 2, "renewed {tokens} times");
    server
        .fedctl(&workspace, "plan", &["--detailed-exitcode"])
        .code(0);
}

#[test]
fn injected_failures_end_cleanly_and_a_rerun_converges_without_duplicates() {
    let server = Server::sim();
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record(&server.realm))]);
    many_records(&workspace, &server.realm, 8);
    server.create(
        &["clients"],
        &json!({"clientId": "unmanaged", "protocol": "openid-connect", "publicClient": true,
                                        "attributes": {"note": "untouched"}}),
    );
    let unmanaged = server.client("unmanaged");

    server.sim_ref().set_faults(Faults {
        fail_rate: 0.07,
        fail_statuses: vec![500, 502, 503, 504, 429],
        retry_after_secs: Some(0),
        drop_rate: 0.03,
        ..Faults::default()
    });
    let mut succeeded = false;
    for _ in 0..6 {
        let output = server
            .fedctl(&workspace, "apply", &["--yes"])
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            Some(0) => {
                succeeded = true;
                break;
            }
            // A clean failure: reported, not a panic.
            Some(1) => assert!(!stderr.contains("panicked"), "{stderr}"),
            other => panic!("apply ended with {other:?}: {stderr}"),
        }
    }
    server.sim_ref().clear_faults();
    if !succeeded {
        server.fedctl(&workspace, "apply", &["--yes"]).success();
    }
    server
        .fedctl(&workspace, "plan", &["--detailed-exitcode"])
        .code(0);

    // No duplicates: one client per record, three mappers on the runbook client, one copy
    // of each flow with exactly the executions it should have (the plan above compared them).
    let export = server.sim_ref().export_realm(&server.realm).unwrap();
    let client_ids: Vec<&str> = export["clients"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["clientId"].as_str())
        .collect();
    let mut unique = client_ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), client_ids.len(), "{client_ids:?}");
    assert_eq!(
        server
            .get(&[
                "clients",
                server.client(CLIENT)["id"].as_str().unwrap(),
                "protocol-mappers",
                "models"
            ])
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let top_level: Vec<&str> = export["authenticationFlows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["topLevel"] == true)
        .filter_map(|f| f["alias"].as_str())
        .collect();
    let count = |prefix: &str| top_level.iter().filter(|a| a.starts_with(prefix)).count();
    assert_eq!(count("fedctl-restrict-"), 9, "{top_level:?}");
    assert_eq!(count("fedctl-template-"), 1, "{top_level:?}");
    assert_eq!(server.client("unmanaged"), unmanaged);
}

#[test]
fn retry_after_is_honoured() {
    let server = Server::sim();
    let workspace = runbook(&server);
    server.sim_ref().set_faults(Faults {
        retry_after_secs: Some(1),
        fail_nth: Some(kc_sim::FailNth {
            route: "POST /admin/realms/{realm}/clients".into(),
            n: 1,
            status: 429,
        }),
        ..Faults::default()
    });
    let started = Instant::now();
    server.fedctl(&workspace, "apply", &["--yes"]).success();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(
        server
            .sim_ref()
            .request_counts()
            .get("POST /admin/realms/{realm}/clients"),
        2
    );
    assert_eq!(server.clients_named(CLIENT).len(), 1);
}

#[test]
fn client_errors_are_not_retried_and_fail_the_apply_cleanly() {
    let server = Server::sim();
    let workspace = runbook(&server);
    server.sim_ref().set_faults(Faults {
        fail_nth: Some(kc_sim::FailNth {
            route: "POST /admin/realms/{realm}/clients".into(),
            n: 1,
            status: 400,
        }),
        ..Faults::default()
    });
    server
        .fedctl(&workspace, "apply", &["--yes"])
        .code(1)
        .stderr(
            predicate::str::contains("failed: + client https://app.partner.example.org")
                .and(predicate::str::contains("not attempted")),
        );
    assert_eq!(
        server
            .sim_ref()
            .request_counts()
            .get("POST /admin/realms/{realm}/clients"),
        1
    );
    // The rerun continues from where it stopped.
    server.fedctl(&workspace, "apply", &["--yes"]).success();
    assert_runbook_objects(&server);
}

/// Keycloak 22 inlines the group tree; 23+ pages children. Both are read right, through the
/// partial export and, for credentials that may not export, object by object.
#[test]
fn nested_groups_on_keycloak_22_and_26() {
    for version in [22, 26] {
        let server = Server::sim_with(Simulator::builder().keycloak_version(version));
        let record = runbook_record(&server.realm).replace(
            "group: \"partner-example-users\"",
            "group: \"/partners/example/users\"",
        );
        let workspace = Workspace::new(&[("partner-example.yaml", &record)]);
        // Siblings beyond one page of children (Keycloak's default page is 10).
        for i in 0..12 {
            server
                .sim_ref()
                .add_group(&server.realm, &format!("/partners/other-{i:02}"));
        }
        server.fedctl(&workspace, "apply", &["--yes"]).success();
        let group = server
            .sim_ref()
            .group(&server.realm, "/partners/example/users")
            .unwrap();
        assert_eq!(
            group["clientRoles"][CLIENT],
            json!(["access"]),
            "version {version}"
        );
        server
            .fedctl(&workspace, "plan", &["--detailed-exitcode"])
            .code(0);

        // A service account that may read but not export the realm.
        server.sim_ref().add_service_account_client(
            &server.realm,
            "fedctl-reader",
            "reader-secret",
            &["view-realm", "view-clients", "query-groups", "view-users"],
        );
        common::fedctl()
            .current_dir(workspace.dir.path())
            .env("KEYCLOAK_CLIENT_ID", "fedctl-reader")
            .env("KEYCLOAK_CLIENT_SECRET", "reader-secret")
            .env("KEYCLOAK_AUTH_REALM", &server.realm)
            .args(["plan", "--detailed-exitcode", "--url", &server.url])
            .arg(workspace.records())
            .assert()
            .code(0)
            .stdout(predicate::str::contains("No changes"));
        let counts = server.sim_ref().request_counts();
        assert!(
            counts.get("GET /admin/realms/{realm}/groups/{id}/children") > 0 || version == 22,
            "{counts:#?}"
        );
    }
}

#[test]
fn secrets_never_appear_in_output_even_at_the_most_verbose_level() {
    let server = Server::sim();
    let workspace = runbook(&server);
    workspace.write_record(
        "oidc-partner.yaml",
        &oidc_record(&server.realm, "oidc-partner", "oidc-partner-users"),
    );
    server.sim_ref().add_service_account_client(
        &server.realm,
        "fedctl-sa",
        "Sa-s3cret-never-printed",
        &["realm-admin"],
    );
    let mut outputs = Vec::new();
    for subcommand in ["plan", "apply", "plan"] {
        let extra: &[&str] = if subcommand == "apply" {
            &["--yes", "-vvv"]
        } else {
            &["-vvv"]
        };
        let output = server
            .fedctl(&workspace, subcommand, extra)
            .success()
            .get_output()
            .clone();
        outputs.push(output);
    }
    let sa_output = common::fedctl()
        .current_dir(workspace.dir.path())
        .env("KEYCLOAK_CLIENT_ID", "fedctl-sa")
        .env("KEYCLOAK_CLIENT_SECRET", "Sa-s3cret-never-printed")
        .env("KEYCLOAK_AUTH_REALM", &server.realm)
        .args(["plan", "-vvv", "--url", &server.url])
        .arg(workspace.records())
        .output()
        .unwrap();
    outputs.push(sa_output);
    let client_secret = server
        .sim_ref()
        .client(&server.realm, "oidc-partner")
        .unwrap()["secret"]
        .as_str()
        .expect("a confidential client has a secret")
        .to_owned();
    for output in &outputs {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            text.contains("DEBUG") || text.contains("TRACE"),
            "verbose logs: {text}"
        );
        for secret in [
            ADMIN_PASSWORD,
            "Sa-s3cret-never-printed",
            client_secret.as_str(),
        ] {
            assert!(!text.contains(secret), "{secret} leaked:\n{text}");
        }
        // Access and refresh tokens are JWTs: base64url of `{"` starts with `eyJ`.
        assert!(!text.contains("eyJ"), "a token leaked:\n{text}");
    }
}

#[test]
fn plain_http_to_another_host_is_refused_before_any_request() {
    let workspace = Workspace::new(&[("partner-example.yaml", &runbook_record("your-realm"))]);
    common::fedctl()
        .current_dir(workspace.dir.path())
        .env("KEYCLOAK_USER", "admin")
        .env("KEYCLOAK_PASSWORD", "admin")
        .args(["plan", "--url", "http://idp.example.org"])
        .arg(workspace.records())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("plain http is refused"));
}

#[test]
fn wrong_credentials_are_an_authentication_error() {
    let server = Server::sim();
    let workspace = runbook(&server);
    common::fedctl()
        .current_dir(workspace.dir.path())
        .env("KEYCLOAK_USER", "admin")
        .env("KEYCLOAK_PASSWORD", "wrong")
        .args(["plan", "--url", &server.url])
        .arg(workspace.records())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "authentication to Keycloak failed",
        ));
}
