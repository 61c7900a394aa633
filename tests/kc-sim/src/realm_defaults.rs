//! What a new realm contains, as in Keycloak 26: settings, default roles,
//! built-in clients with their roles, client scopes, built-in flows, and (in
//! master) the administration roles, clients and bootstrap admin.

use crate::app::Config;
use crate::flows::{insert_execution, insert_flow};
use crate::json::Obj;
use crate::roles::insert as add_role;
use crate::state::{AuthConfig, ClientScope, Execution, Realm, Store, new_id};
use indexmap::IndexMap;
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};

/// Management roles of `realm-management` and of `<realm>-realm` clients in master.
pub const MANAGEMENT_ROLES: &[&str] = &[
    "create-client",
    "impersonation",
    "manage-authorization",
    "manage-clients",
    "manage-events",
    "manage-identity-providers",
    "manage-realm",
    "manage-users",
    "query-clients",
    "query-groups",
    "query-realms",
    "query-users",
    "view-authorization",
    "view-clients",
    "view-events",
    "view-identity-providers",
    "view-realm",
    "view-users",
];

/// Settings of a realm created with only a name (observed on Keycloak 26).
fn default_settings() -> Obj {
    let v: Value = serde_json::from_str(r#"{
        "notBefore": 0, "defaultSignatureAlgorithm": "RS256", "revokeRefreshToken": false, "refreshTokenMaxReuse": 0,
        "accessTokenLifespan": 300, "accessTokenLifespanForImplicitFlow": 900, "ssoSessionIdleTimeout": 1800,
        "ssoSessionMaxLifespan": 36000, "ssoSessionIdleTimeoutRememberMe": 0, "ssoSessionMaxLifespanRememberMe": 0,
        "offlineSessionIdleTimeout": 2592000, "offlineSessionMaxLifespanEnabled": false, "offlineSessionMaxLifespan": 5184000,
        "clientSessionIdleTimeout": 0, "clientSessionMaxLifespan": 0, "clientOfflineSessionIdleTimeout": 0,
        "clientOfflineSessionMaxLifespan": 0, "accessCodeLifespan": 60, "accessCodeLifespanUserAction": 300,
        "accessCodeLifespanLogin": 1800, "actionTokenGeneratedByAdminLifespan": 43200, "actionTokenGeneratedByUserLifespan": 300,
        "oauth2DeviceCodeLifespan": 600, "oauth2DevicePollingInterval": 5, "enabled": false, "sslRequired": "external",
        "registrationAllowed": false, "registrationEmailAsUsername": false, "rememberMe": false, "verifyEmail": false,
        "loginWithEmailAllowed": true, "duplicateEmailsAllowed": false, "resetPasswordAllowed": false, "editUsernameAllowed": false,
        "bruteForceProtected": false, "permanentLockout": false, "maxTemporaryLockouts": 0, "bruteForceStrategy": "MULTIPLE",
        "maxFailureWaitSeconds": 900, "minimumQuickLoginWaitSeconds": 60, "waitIncrementSeconds": 60,
        "quickLoginCheckMilliSeconds": 1000, "maxDeltaTimeSeconds": 43200, "failureFactor": 30, "maxSecondaryAuthFailures": 0,
        "requiredCredentials": ["password"], "otpPolicyType": "totp", "otpPolicyAlgorithm": "HmacSHA1",
        "otpPolicyInitialCounter": 0, "otpPolicyDigits": 6, "otpPolicyLookAheadWindow": 1, "otpPolicyPeriod": 30,
        "otpPolicyCodeReusable": false, "otpSupportedApplications": ["totpAppFreeOTPName", "totpAppGoogleName", "totpAppMicrosoftAuthenticatorName"],
        "webAuthnPolicyRpEntityName": "keycloak", "webAuthnPolicySignatureAlgorithms": ["ES256", "RS256"], "webAuthnPolicyRpId": "",
        "webAuthnPolicyAttestationConveyancePreference": "not specified", "webAuthnPolicyAuthenticatorAttachment": "not specified",
        "webAuthnPolicyRequireResidentKey": "not specified", "webAuthnPolicyUserVerificationRequirement": "not specified",
        "webAuthnPolicyCreateTimeout": 0, "webAuthnPolicyAvoidSameAuthenticatorRegister": false,
        "webAuthnPolicyAcceptableAaguids": [], "webAuthnPolicyExtraOrigins": [],
        "browserSecurityHeaders": {
            "contentSecurityPolicyReportOnly": "", "xContentTypeOptions": "nosniff", "referrerPolicy": "no-referrer",
            "xRobotsTag": "none", "xFrameOptions": "SAMEORIGIN",
            "contentSecurityPolicy": "frame-src 'self'; frame-ancestors 'self'; object-src 'none';",
            "strictTransportSecurity": "max-age=31536000; includeSubDomains"
        },
        "smtpServer": {}, "eventsEnabled": false, "eventsListeners": ["jboss-logging"], "enabledEventTypes": [],
        "adminEventsEnabled": false, "adminEventsDetailsEnabled": false, "internationalizationEnabled": false,
        "browserFlow": "browser", "registrationFlow": "registration", "directGrantFlow": "direct grant",
        "resetCredentialsFlow": "reset credentials", "clientAuthenticationFlow": "clients",
        "dockerAuthenticationFlow": "docker auth", "firstBrokerLoginFlow": "first broker login",
        "attributes": {
            "cibaBackchannelTokenDeliveryMode": "poll", "cibaExpiresIn": "120", "cibaAuthRequestedUserHint": "login_hint",
            "oauth2DeviceCodeLifespan": "600", "oauth2DevicePollingInterval": "5", "parRequestUriLifespan": "60",
            "cibaInterval": "5", "realmReusableOtpCode": "false"
        },
        "userManagedAccessAllowed": false, "organizationsEnabled": false, "verifiableCredentialsEnabled": false,
        "adminPermissionsEnabled": false, "clientProfiles": {"profiles": []}, "clientPolicies": {"policies": []}
    }"#).expect("valid JSON");
    v.as_object().cloned().unwrap_or_default()
}

/// Creates a realm with Keycloak's built-in content and returns it.
pub fn create_realm<'a>(
    store: &'a mut Store,
    config: &Config,
    name: &str,
    id: Option<String>,
    given: Obj,
) -> &'a mut Realm {
    let key_index = store.next_key;
    store.next_key += 1;
    let mut settings = default_settings();
    if name == "master" {
        settings.insert("accessTokenLifespan".into(), json!(60));
        settings.insert("enabled".into(), json!(true));
        settings.insert("displayName".into(), json!("Keycloak"));
        settings.insert(
            "displayNameHtml".into(),
            json!("<div class=\"kc-logo-text\"><span>Keycloak</span></div>"),
        );
    }
    for (k, v) in given {
        if !v.is_null() {
            settings.insert(k, v);
        }
    }
    let mut realm = Realm {
        id: id.unwrap_or_else(new_id),
        name: name.to_string(),
        settings,
        keys: Arc::new(OnceLock::new()),
        key_index,
        key_providers: Default::default(),
        clients: IndexMap::new(),
        roles: IndexMap::new(),
        groups: IndexMap::new(),
        users: IndexMap::new(),
        scopes: IndexMap::new(),
        default_default_scopes: Vec::new(),
        default_optional_scopes: Vec::new(),
        idps: IndexMap::new(),
        idp_mappers: IndexMap::new(),
        flows: IndexMap::new(),
        executions: IndexMap::new(),
        auth_configs: IndexMap::new(),
        default_role: String::new(),
        components: json!({}),
        required_actions: required_actions(),
    };
    populate(&mut realm, config.version);
    if name == "master" {
        bootstrap_master(&mut realm, config);
    } else if let Some(master) = store.realms.get_mut("master") {
        add_master_management_client(master, name);
    }
    store.realms.insert(name.to_string(), realm);
    store.realms.get_mut(name).expect("inserted")
}

fn populate(realm: &mut Realm, version: u8) {
    let name = realm.name.clone();
    let default_role = add_role(
        realm,
        None,
        &format!("default-roles-{name}"),
        Some("${role_default-roles}"),
    );
    realm.default_role = default_role.clone();
    let offline = add_role(
        realm,
        None,
        "offline_access",
        Some("${role_offline-access}"),
    );
    let uma = add_role(
        realm,
        None,
        "uma_authorization",
        Some("${role_uma_authorization}"),
    );
    add_scopes(realm, version);
    add_builtin_flows(realm, version);
    let account = builtin_client(
        realm,
        json!({
            "clientId": "account", "name": "${client_account}", "rootUrl": "${authBaseUrl}",
            "baseUrl": format!("/realms/{name}/account/"), "redirectUris": [format!("/realms/{name}/account/*")],
            "publicClient": true, "protocol": "openid-connect", "directAccessGrantsEnabled": false,
            "fullScopeAllowed": false, "attributes": {"post.logout.redirect.uris": "+"}
        }),
    );
    let view_profile = add_role(
        realm,
        Some(&account),
        "view-profile",
        Some("${role_view-profile}"),
    );
    let manage_account = add_role(
        realm,
        Some(&account),
        "manage-account",
        Some("${role_manage-account}"),
    );
    let links = add_role(
        realm,
        Some(&account),
        "manage-account-links",
        Some("${role_manage-account-links}"),
    );
    add_role(
        realm,
        Some(&account),
        "view-applications",
        Some("${role_view-applications}"),
    );
    let view_consent = add_role(
        realm,
        Some(&account),
        "view-consent",
        Some("${role_view-consent}"),
    );
    let manage_consent = add_role(
        realm,
        Some(&account),
        "manage-consent",
        Some("${role_manage-consent}"),
    );
    add_role(
        realm,
        Some(&account),
        "view-groups",
        Some("${role_view-groups}"),
    );
    add_role(
        realm,
        Some(&account),
        "delete-account",
        Some("${role_delete-account}"),
    );
    realm.roles[&manage_account].composites.push(links);
    realm.roles[&manage_consent].composites.push(view_consent);
    realm.roles[&default_role]
        .composites
        .extend([offline, uma, view_profile, manage_account]);
    builtin_client(
        realm,
        json!({
            "clientId": "account-console", "name": "${client_account-console}", "rootUrl": "${authBaseUrl}",
            "baseUrl": format!("/realms/{name}/account/"), "redirectUris": [format!("/realms/{name}/account/*")],
            "publicClient": true, "protocol": "openid-connect", "directAccessGrantsEnabled": false, "fullScopeAllowed": false,
            "attributes": {"post.logout.redirect.uris": "+", "pkce.code.challenge.method": "S256"},
            "protocolMappers": [{"name": "audience resolve", "protocol": "openid-connect", "protocolMapper": "oidc-audience-resolve-mapper", "config": {}}]
        }),
    );
    builtin_client(
        realm,
        json!({
            "clientId": "admin-cli", "name": "${client_admin-cli}", "publicClient": true, "protocol": "openid-connect",
            "standardFlowEnabled": false, "directAccessGrantsEnabled": true
        }),
    );
    let broker = builtin_client(
        realm,
        json!({
            "clientId": "broker", "name": "${client_broker}", "bearerOnly": true, "publicClient": false,
            "protocol": "openid-connect", "fullScopeAllowed": false
        }),
    );
    add_role(
        realm,
        Some(&broker),
        "read-token",
        Some("${role_read-token}"),
    );
    if name != "master" {
        let mgmt = builtin_client(
            realm,
            json!({
                "clientId": "realm-management", "name": "${client_realm-management}", "bearerOnly": true,
                "publicClient": false, "protocol": "openid-connect"
            }),
        );
        let ids = add_management_roles(realm, &mgmt);
        let admin = add_role(
            realm,
            Some(&mgmt),
            "realm-admin",
            Some("${role_realm-admin}"),
        );
        realm.roles[&admin].composites = ids;
    }
    builtin_client(
        realm,
        json!({
            "clientId": "security-admin-console", "name": "${client_security-admin-console}", "rootUrl": "${authAdminUrl}",
            "baseUrl": format!("/admin/{name}/console/"), "redirectUris": [format!("/admin/{name}/console/*")],
            "webOrigins": ["+"], "publicClient": true, "protocol": "openid-connect", "directAccessGrantsEnabled": false,
            "attributes": {"post.logout.redirect.uris": "+", "pkce.code.challenge.method": "S256"},
            "protocolMappers": [{"name": "locale", "protocol": "openid-connect", "protocolMapper": "oidc-usermodel-attribute-mapper",
                "config": {"user.attribute": "locale", "claim.name": "locale", "jsonType.label": "String", "id.token.claim": "true",
                    "access.token.claim": "true", "userinfo.token.claim": "true", "introspection.token.claim": "true"}}]
        }),
    );
}

fn builtin_client(realm: &mut Realm, rep: Value) -> String {
    let rep = rep.as_object().cloned().unwrap_or_default();
    crate::clients::create(realm, rep).expect("built-in client")
}

/// Management roles with Keycloak's composites (view-clients ⊃ query-clients,
/// view-users ⊃ query-users + query-groups); returns their ids.
fn add_management_roles(realm: &mut Realm, client: &str) -> Vec<String> {
    let ids: Vec<String> = MANAGEMENT_ROLES
        .iter()
        .map(|r| add_role(realm, Some(client), r, Some(&format!("${{role_{r}}}"))))
        .collect();
    let id_of = |realm: &Realm, n: &str| {
        realm
            .client_role(client, n)
            .map(|r| r.id.clone())
            .expect("role")
    };
    let (qc, qu, qg) = (
        id_of(realm, "query-clients"),
        id_of(realm, "query-users"),
        id_of(realm, "query-groups"),
    );
    let vc = id_of(realm, "view-clients");
    let vu = id_of(realm, "view-users");
    realm.roles[&vc].composites.push(qc);
    realm.roles[&vu].composites.extend([qu, qg]);
    ids
}

/// Master realm: `admin` and `create-realm` roles, the `master-realm`
/// client, and the bootstrap admin user.
fn bootstrap_master(realm: &mut Realm, config: &Config) {
    let create_realm = add_role(realm, None, "create-realm", Some("${role_create-realm}"));
    let admin = add_role(realm, None, "admin", Some("${role_admin}"));
    realm.roles[&admin].composites.push(create_realm);
    add_master_management_client(realm, "master");
    let rep = json!({ "username": config.admin_user, "enabled": true });
    let user = crate::users::insert(
        realm,
        rep.as_object().cloned().unwrap_or_default(),
        Some(config.admin_password.clone()),
    );
    realm.users[&user].roles.push(admin);
}

/// The `<realm>-realm` client in master whose roles administer that realm;
/// master's `admin` role includes them all.
fn add_master_management_client(master: &mut Realm, realm_name: &str) {
    let client = builtin_client(
        master,
        json!({
            "clientId": format!("{realm_name}-realm"), "name": format!("{realm_name} Realm"), "bearerOnly": true,
            "publicClient": false, "protocol": "openid-connect"
        }),
    );
    let ids = add_management_roles(master, &client);
    if let Some(admin) = master.realm_role("admin").map(|r| r.id.clone()) {
        master.roles[&admin].composites.extend(ids);
    }
}

/// Removes the `<realm>-realm` client of a deleted realm from master.
pub fn remove_master_management_client(master: &mut Realm, realm_name: &str) {
    if let Some(id) = master
        .client_by_client_id(&format!("{realm_name}-realm"))
        .map(|c| c.id.clone())
    {
        crate::clients::remove(master, &id);
    }
}

fn add_scopes(realm: &mut Realm, version: u8) {
    // (name, protocol, default?, description)
    let mut scopes: Vec<(&str, &str, Option<bool>, &str)> = vec![
        (
            "offline_access",
            "openid-connect",
            Some(false),
            "OpenID Connect built-in scope: offline_access",
        ),
        ("role_list", "saml", Some(true), "SAML role list"),
        (
            "profile",
            "openid-connect",
            Some(true),
            "OpenID Connect built-in scope: profile",
        ),
        (
            "email",
            "openid-connect",
            Some(true),
            "OpenID Connect built-in scope: email",
        ),
        (
            "address",
            "openid-connect",
            Some(false),
            "OpenID Connect built-in scope: address",
        ),
        (
            "phone",
            "openid-connect",
            Some(false),
            "OpenID Connect built-in scope: phone",
        ),
        (
            "roles",
            "openid-connect",
            Some(true),
            "OpenID Connect scope for add user roles to the access token",
        ),
        (
            "web-origins",
            "openid-connect",
            Some(true),
            "OpenID Connect scope for add allowed web origins to the access token",
        ),
        (
            "microprofile-jwt",
            "openid-connect",
            Some(false),
            "Microprofile - JWT built-in scope",
        ),
        (
            "acr",
            "openid-connect",
            Some(true),
            "OpenID Connect scope for add acr (authentication context class reference) to the token",
        ),
        (
            "basic",
            "openid-connect",
            Some(true),
            "OpenID Connect scope for add all basic claims to the token",
        ),
        (
            "service_account",
            "openid-connect",
            None,
            "Specific scope for a client enabled for service accounts",
        ),
    ];
    if version >= 26 {
        scopes.push((
            "organization",
            "openid-connect",
            Some(false),
            "Additional claims about the organization a subject belongs to",
        ));
        scopes.push((
            "saml_organization",
            "saml",
            Some(true),
            "Organization Membership",
        ));
    }
    for (name, protocol, default, description) in scopes {
        let id = new_id();
        let rep = json!({ "name": name, "description": description, "protocol": protocol, "attributes": {
            "include.in.token.scope": "true", "display.on.consent.screen": "true" } });
        realm.scopes.insert(
            id.clone(),
            ClientScope {
                id: id.clone(),
                rep: rep.as_object().cloned().unwrap_or_default(),
                mappers: Vec::new(),
            },
        );
        match default {
            Some(true) => realm.default_default_scopes.push(id),
            Some(false) => realm.default_optional_scopes.push(id),
            None => {}
        }
    }
}

/// One execution of a built-in flow: an authenticator or a sub-flow.
enum Step {
    Auth(&'static str, &'static str, Option<&'static str>),
    Sub(&'static str, &'static str),
    Form(&'static str, &'static str, &'static str),
}
use Step::{Auth, Form, Sub};

struct FlowDef {
    alias: &'static str,
    description: &'static str,
    provider: &'static str,
    top: bool,
    steps: &'static [(i64, Step)],
}

const FLOWS: &[FlowDef] = &[
    FlowDef {
        alias: "browser",
        description: "Browser based authentication",
        provider: "basic-flow",
        top: true,
        steps: &[
            (10, Auth("auth-cookie", "ALTERNATIVE", None)),
            (20, Auth("auth-spnego", "DISABLED", None)),
            (
                25,
                Auth("identity-provider-redirector", "ALTERNATIVE", None),
            ),
            (26, Sub("Organization", "ALTERNATIVE")),
            (30, Sub("forms", "ALTERNATIVE")),
        ],
    },
    FlowDef {
        alias: "Organization",
        description: "",
        provider: "basic-flow",
        top: false,
        steps: &[(10, Sub("Browser - Conditional Organization", "CONDITIONAL"))],
    },
    FlowDef {
        alias: "Browser - Conditional Organization",
        description: "Flow to determine if the organization identity-first login is to be used",
        provider: "basic-flow",
        top: false,
        steps: &[
            (10, Auth("conditional-user-configured", "REQUIRED", None)),
            (20, Auth("organization", "ALTERNATIVE", None)),
        ],
    },
    FlowDef {
        alias: "forms",
        description: "Username, password, otp and other auth forms.",
        provider: "basic-flow",
        top: false,
        steps: &[
            (10, Auth("auth-username-password-form", "REQUIRED", None)),
            (20, Sub("Browser - Conditional 2FA", "CONDITIONAL")),
        ],
    },
    FlowDef {
        alias: "Browser - Conditional 2FA",
        description: "Flow to determine if any 2FA is required for the authentication",
        provider: "basic-flow",
        top: false,
        steps: &[
            (10, Auth("conditional-user-configured", "REQUIRED", None)),
            (
                20,
                Auth(
                    "conditional-credential",
                    "REQUIRED",
                    Some("browser-conditional-credential"),
                ),
            ),
            (30, Auth("auth-otp-form", "ALTERNATIVE", None)),
            (40, Auth("webauthn-authenticator", "DISABLED", None)),
            (50, Auth("auth-recovery-authn-code-form", "DISABLED", None)),
        ],
    },
    FlowDef {
        alias: "direct grant",
        description: "OpenID Connect Resource Owner Grant",
        provider: "basic-flow",
        top: true,
        steps: &[
            (10, Auth("direct-grant-validate-username", "REQUIRED", None)),
            (20, Auth("direct-grant-validate-password", "REQUIRED", None)),
            (30, Sub("Direct Grant - Conditional OTP", "CONDITIONAL")),
        ],
    },
    FlowDef {
        alias: "Direct Grant - Conditional OTP",
        description: "Flow to determine if the OTP is required for the authentication",
        provider: "basic-flow",
        top: false,
        steps: &[
            (10, Auth("conditional-user-configured", "REQUIRED", None)),
            (20, Auth("direct-grant-validate-otp", "REQUIRED", None)),
        ],
    },
    FlowDef {
        alias: "registration",
        description: "Registration flow",
        provider: "basic-flow",
        top: true,
        steps: &[(
            10,
            Form("registration form", "registration-page-form", "REQUIRED"),
        )],
    },
    FlowDef {
        alias: "registration form",
        description: "Registration form",
        provider: "form-flow",
        top: false,
        steps: &[
            (20, Auth("registration-user-creation", "REQUIRED", None)),
            (50, Auth("registration-password-action", "REQUIRED", None)),
            (60, Auth("registration-recaptcha-action", "DISABLED", None)),
            (
                70,
                Auth("registration-terms-and-conditions", "DISABLED", None),
            ),
        ],
    },
    FlowDef {
        alias: "reset credentials",
        description: "Reset credentials for a user if they forgot their password or something",
        provider: "basic-flow",
        top: true,
        steps: &[
            (10, Auth("reset-credentials-choose-user", "REQUIRED", None)),
            (20, Auth("reset-credential-email", "REQUIRED", None)),
            (30, Auth("reset-password", "REQUIRED", None)),
            (40, Sub("Reset - Conditional OTP", "CONDITIONAL")),
        ],
    },
    FlowDef {
        alias: "Reset - Conditional OTP",
        description: "Flow to determine if the OTP should be reset or not. Set to REQUIRED to force.",
        provider: "basic-flow",
        top: false,
        steps: &[
            (10, Auth("conditional-user-configured", "REQUIRED", None)),
            (20, Auth("reset-otp", "REQUIRED", None)),
        ],
    },
    FlowDef {
        alias: "clients",
        description: "Base authentication for clients",
        provider: "client-flow",
        top: true,
        steps: &[
            (10, Auth("client-secret", "ALTERNATIVE", None)),
            (20, Auth("client-jwt", "ALTERNATIVE", None)),
            (30, Auth("client-secret-jwt", "ALTERNATIVE", None)),
            (40, Auth("client-x509", "ALTERNATIVE", None)),
        ],
    },
    FlowDef {
        alias: "first broker login",
        description: "Actions taken after first broker login with identity provider account, which is not yet linked to any Keycloak account",
        provider: "basic-flow",
        top: true,
        steps: &[
            (
                10,
                Auth(
                    "idp-review-profile",
                    "REQUIRED",
                    Some("review profile config"),
                ),
            ),
            (20, Sub("User creation or linking", "REQUIRED")),
            (
                60,
                Sub(
                    "First Broker Login - Conditional Organization",
                    "CONDITIONAL",
                ),
            ),
        ],
    },
    FlowDef {
        alias: "User creation or linking",
        description: "Flow for the existing/non-existing user alternatives",
        provider: "basic-flow",
        top: false,
        steps: &[
            (
                10,
                Auth(
                    "idp-create-user-if-unique",
                    "ALTERNATIVE",
                    Some("create unique user config"),
                ),
            ),
            (20, Sub("Handle Existing Account", "ALTERNATIVE")),
        ],
    },
    FlowDef {
        alias: "Handle Existing Account",
        description: "Handle what to do if there is existing account with same email/username like authenticated identity provider",
        provider: "basic-flow",
        top: false,
        steps: &[
            (10, Auth("idp-confirm-link", "REQUIRED", None)),
            (20, Sub("Account verification options", "REQUIRED")),
        ],
    },
    FlowDef {
        alias: "Account verification options",
        description: "Method with which to verity the existing account",
        provider: "basic-flow",
        top: false,
        steps: &[
            (10, Auth("idp-email-verification", "ALTERNATIVE", None)),
            (
                20,
                Sub(
                    "Verify Existing Account by Re-authentication",
                    "ALTERNATIVE",
                ),
            ),
        ],
    },
    FlowDef {
        alias: "Verify Existing Account by Re-authentication",
        description: "Reauthentication of existing account",
        provider: "basic-flow",
        top: false,
        steps: &[
            (10, Auth("idp-username-password-form", "REQUIRED", None)),
            (
                20,
                Sub("First broker login - Conditional 2FA", "CONDITIONAL"),
            ),
        ],
    },
    FlowDef {
        alias: "First broker login - Conditional 2FA",
        description: "Flow to determine if any 2FA is required for the authentication",
        provider: "basic-flow",
        top: false,
        steps: &[
            (10, Auth("conditional-user-configured", "REQUIRED", None)),
            (
                20,
                Auth(
                    "conditional-credential",
                    "REQUIRED",
                    Some("first-broker-login-conditional-credential"),
                ),
            ),
            (30, Auth("auth-otp-form", "ALTERNATIVE", None)),
            (40, Auth("webauthn-authenticator", "DISABLED", None)),
            (50, Auth("auth-recovery-authn-code-form", "DISABLED", None)),
        ],
    },
    FlowDef {
        alias: "First Broker Login - Conditional Organization",
        description: "Flow to determine if the authenticator that adds organization members is to be used",
        provider: "basic-flow",
        top: false,
        steps: &[
            (10, Auth("conditional-user-configured", "REQUIRED", None)),
            (20, Auth("idp-add-organization-member", "REQUIRED", None)),
        ],
    },
    FlowDef {
        alias: "docker auth",
        description: "Used by Docker clients to authenticate against the IDP",
        provider: "basic-flow",
        top: true,
        steps: &[(
            10,
            Auth("docker-http-basic-authenticator", "REQUIRED", None),
        )],
    },
    FlowDef {
        alias: "saml ecp",
        description: "SAML ECP Profile Authentication Flow",
        provider: "basic-flow",
        top: true,
        steps: &[(10, Auth("http-basic-authenticator", "REQUIRED", None))],
    },
];

const CONFIGS: &[(&str, &str, &str)] = &[
    (
        "browser-conditional-credential",
        "credentials",
        "webauthn-passwordless",
    ),
    (
        "create unique user config",
        "require.password.update.after.registration",
        "false",
    ),
    (
        "first-broker-login-conditional-credential",
        "credentials",
        "webauthn-passwordless",
    ),
    (
        "review profile config",
        "update.profile.on.first.login",
        "missing",
    ),
];

/// Organization flows exist from 26 on, and not in master.
fn skipped(realm: &Realm, version: u8, alias: &str) -> bool {
    alias.contains("Organization") && (version < 26 || realm.name == "master")
}

fn add_builtin_flows(realm: &mut Realm, version: u8) {
    for (alias, key, value) in CONFIGS {
        let id = new_id();
        let config = json!({ *key: value })
            .as_object()
            .cloned()
            .unwrap_or_default();
        realm.auth_configs.insert(
            id.clone(),
            AuthConfig {
                id,
                alias: alias.to_string(),
                config,
            },
        );
    }
    let defs: Vec<&FlowDef> = FLOWS
        .iter()
        .filter(|d| !skipped(realm, version, d.alias))
        .collect();
    for def in &defs {
        insert_flow(
            realm,
            def.alias,
            Some(def.description),
            def.provider,
            def.top,
            true,
        );
    }
    for def in defs {
        let parent = realm.flow_by_alias(def.alias).expect("inserted").id.clone();
        for (priority, step) in def.steps {
            let (authenticator, sub, requirement, config) = match step {
                Auth(a, r, c) => (Some(*a), None, *r, *c),
                Sub(f, r) => (None, Some(*f), *r, None),
                Form(f, a, r) => (Some(*a), Some(*f), *r, None),
            };
            if sub.is_some_and(|f| skipped(realm, version, f)) {
                continue;
            }
            let e = Execution {
                id: String::new(),
                parent: parent.clone(),
                authenticator: authenticator.map(str::to_string),
                sub_flow: sub
                    .and_then(|f| realm.flow_by_alias(f))
                    .map(|f| f.id.clone()),
                requirement: requirement.to_string(),
                priority: *priority,
                config: config
                    .and_then(|c| realm.auth_configs.values().find(|x| x.alias == c))
                    .map(|c| c.id.clone()),
                user_setup_allowed: false,
            };
            insert_execution(realm, e);
        }
    }
}

fn required_actions() -> Value {
    let actions = [
        ("CONFIGURE_TOTP", "Configure OTP", true, 10),
        ("TERMS_AND_CONDITIONS", "Terms and Conditions", false, 20),
        ("UPDATE_PASSWORD", "Update Password", true, 30),
        ("UPDATE_PROFILE", "Update Profile", true, 40),
        ("VERIFY_EMAIL", "Verify Email", true, 50),
        ("delete_account", "Delete Account", false, 60),
        ("webauthn-register", "Webauthn Register", true, 70),
        (
            "webauthn-register-passwordless",
            "Webauthn Register Passwordless",
            true,
            80,
        ),
        ("VERIFY_PROFILE", "Verify Profile", true, 90),
        ("delete_credential", "Delete Credential", true, 100),
        ("update_user_locale", "Update User Locale", true, 1000),
    ];
    Value::Array(
        actions
            .iter()
            .map(|(alias, name, enabled, priority)| {
                json!({ "alias": alias, "name": name, "providerId": alias, "enabled": enabled,
                        "defaultAction": false, "priority": priority, "config": {} })
            })
            .collect(),
    )
}
