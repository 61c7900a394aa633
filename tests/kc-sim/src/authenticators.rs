//! Authenticator providers known to the simulator: display data for the
//! executions listing and the requirement choices that decide the initial
//! requirement of a new execution.

/// Which SPI a provider belongs to (a flow's `providerId` decides which may be added).
#[derive(Clone, Copy, PartialEq)]
pub enum Spi {
    Authenticator,
    ClientAuthenticator,
    /// The controller of a `form-flow` (`/form-providers`), not one of its actions.
    FormAuthenticator,
    FormAction,
}

pub struct Provider {
    pub id: &'static str,
    pub display: &'static str,
    pub help: &'static str,
    pub configurable: bool,
    pub choices: &'static [&'static str],
    pub spi: Spi,
}

const RAD: &[&str] = &["REQUIRED", "ALTERNATIVE", "DISABLED"];
const RD: &[&str] = &["REQUIRED", "DISABLED"];
const R: &[&str] = &["REQUIRED"];
const AD: &[&str] = &["ALTERNATIVE", "DISABLED"];

macro_rules! p {
    ($id:expr, $display:expr, $help:expr, $conf:expr, $choices:expr, $spi:ident) => {
        Provider {
            id: $id,
            display: $display,
            help: $help,
            configurable: $conf,
            choices: $choices,
            spi: Spi::$spi,
        }
    };
}

pub const PROVIDERS: &[Provider] = &[
    p!(
        "auth-cookie",
        "Cookie",
        "Validates the SSO cookie set by the auth server.",
        false,
        RAD,
        Authenticator
    ),
    p!(
        "auth-spnego",
        "Kerberos",
        "Initiates the SPNEGO protocol.",
        false,
        &["DISABLED", "ALTERNATIVE", "REQUIRED"],
        Authenticator
    ),
    p!(
        "identity-provider-redirector",
        "Identity Provider Redirector",
        "Redirects to default Identity Provider or Identity Provider specified with kc_idp_hint query parameter",
        true,
        RAD,
        Authenticator
    ),
    p!(
        "auth-username-password-form",
        "Username Password Form",
        "Validates a username and password from login form.",
        false,
        R,
        Authenticator
    ),
    p!(
        "auth-username-form",
        "Username Form",
        "Selects a user from his username.",
        false,
        R,
        Authenticator
    ),
    p!(
        "auth-password-form",
        "Password Form",
        "Validates a password from login form.",
        false,
        RAD,
        Authenticator
    ),
    p!(
        "auth-otp-form",
        "OTP Form",
        "Validates a OTP on a separate OTP form.",
        false,
        RAD,
        Authenticator
    ),
    p!(
        "auth-conditional-otp-form",
        "Conditional OTP Form",
        "Validates a OTP on a separate OTP form. Only shown if required based on the configured conditions.",
        true,
        RAD,
        Authenticator
    ),
    p!(
        "auth-recovery-authn-code-form",
        "Recovery Authentication Code Form",
        "Validates a Recovery Authentication Code",
        false,
        RAD,
        Authenticator
    ),
    p!(
        "webauthn-authenticator",
        "WebAuthn Authenticator",
        "Authenticator for WebAuthn. Usually used for WebAuthn two-factor authentication",
        false,
        RAD,
        Authenticator
    ),
    p!(
        "webauthn-authenticator-passwordless",
        "WebAuthn Passwordless Authenticator",
        "Authenticator for Passwordless WebAuthn authentication",
        false,
        RAD,
        Authenticator
    ),
    p!(
        "conditional-user-configured",
        "Condition - user configured",
        "Executes the current flow only if authenticators are configured",
        false,
        RD,
        Authenticator
    ),
    p!(
        "conditional-user-role",
        "Condition - user role",
        "Flow is executed only if user has the given role.",
        true,
        RD,
        Authenticator
    ),
    p!(
        "conditional-user-attribute",
        "Condition - user attribute",
        "Flow is executed only if the user attribute exists and has the expected value",
        true,
        RD,
        Authenticator
    ),
    p!(
        "conditional-credential",
        "Condition - credential",
        "Condition that evaluates to true if the user has used one of the configured credentials during the authentication flow.",
        true,
        RD,
        Authenticator
    ),
    p!(
        "conditional-level-of-authentication",
        "Condition - Level Of Authentication",
        "Flow is executed only if the configured LOA or a higher one has been requested but not yet satisfied.",
        true,
        RD,
        Authenticator
    ),
    p!(
        "conditional-client-scope",
        "Condition - client scope",
        "Condition to evaluate if a configured client scope is present as a client scope of the client requesting authentication",
        true,
        RD,
        Authenticator
    ),
    p!(
        "conditional-sub-flow-executed",
        "Condition - sub-flow executed",
        "Condition to evaluate if a sub-flow was executed successfully during the authentication process",
        true,
        RD,
        Authenticator
    ),
    p!(
        "deny-access-authenticator",
        "Deny access",
        "Access will be always denied.",
        true,
        RD,
        Authenticator
    ),
    p!(
        "allow-access-authenticator",
        "Allow access",
        "Authenticator will always successfully authenticate. Useful for example in the conditional flows to be used after satisfying the previous conditions",
        false,
        RD,
        Authenticator
    ),
    p!(
        "user-session-limits",
        "User session count limiter",
        "Configures how many concurrent sessions a single user is allowed to create for this realm and/or client",
        true,
        RD,
        Authenticator
    ),
    p!(
        "direct-grant-validate-username",
        "Username Validation",
        "Validates the username supplied as a 'username' form parameter in direct grant request",
        false,
        R,
        Authenticator
    ),
    p!(
        "direct-grant-validate-password",
        "Password",
        "Validates the password supplied as a 'password' form parameter in direct grant request",
        false,
        RD,
        Authenticator
    ),
    p!(
        "direct-grant-validate-otp",
        "OTP",
        "Validates the one time password supplied as a 'totp' form parameter in direct grant request",
        false,
        RD,
        Authenticator
    ),
    p!(
        "reset-credentials-choose-user",
        "Choose User",
        "Choose a user to reset credentials for",
        false,
        R,
        Authenticator
    ),
    p!(
        "reset-credential-email",
        "Send Reset Email",
        "Send email to user and wait for response.",
        false,
        RD,
        Authenticator
    ),
    p!(
        "reset-password",
        "Reset Password",
        "Sets the Update Password required action if execution is REQUIRED.  Will also set it if execution is OPTIONAL and the password is currently configured for it.",
        false,
        RD,
        Authenticator
    ),
    p!(
        "reset-otp",
        "Reset OTP",
        "Removes existing OTP configurations (if chosen) and sets the 'Configure OTP' required action.",
        true,
        RD,
        Authenticator
    ),
    p!(
        "idp-review-profile",
        "Review Profile",
        "User reviews and updates profile data retrieved from Identity Provider in the displayed form",
        true,
        RAD,
        Authenticator
    ),
    p!(
        "idp-create-user-if-unique",
        "Create User If Unique",
        "Detect if there is existing Keycloak account with same email like identity provider. If no, create new user",
        true,
        RAD,
        Authenticator
    ),
    p!(
        "idp-confirm-link",
        "Confirm link existing account",
        "Show the form where user confirms if he wants to link identity provider with existing account or rather edit user profile data retrieved from identity provider to avoid conflict",
        false,
        RAD,
        Authenticator
    ),
    p!(
        "idp-email-verification",
        "Verify existing account by Email",
        "Email verification of existing Keycloak user, that wants to link his user account with identity provider",
        false,
        RAD,
        Authenticator
    ),
    p!(
        "idp-username-password-form",
        "Username Password Form for identity provider reauthentication",
        "Validates a password from login form. Username may be already known from identity provider authentication",
        false,
        R,
        Authenticator
    ),
    p!(
        "idp-auto-link",
        "Automatically set existing user",
        "Automatically set existing user to authentication context without any verification",
        false,
        RAD,
        Authenticator
    ),
    p!(
        "idp-detect-existing-broker-user",
        "Detect existing broker user",
        "Detect if there is an existing Keycloak account with same email like identity provider. If no, throw an error.",
        false,
        R,
        Authenticator
    ),
    p!(
        "idp-add-organization-member",
        "Organization Member Onboard",
        "Onboards a user that is logging in through an identity provider as a member of the organization",
        false,
        RD,
        Authenticator
    ),
    p!(
        "organization",
        "Organization Identity-First Login",
        "If organizations are enabled, automatically redirects users to the corresponding identity provider.",
        true,
        RAD,
        Authenticator
    ),
    p!(
        "docker-http-basic-authenticator",
        "Docker Authenticator",
        "Uses HTTP Basic authentication to validate docker users, returning a docker error token on auth failure",
        false,
        R,
        Authenticator
    ),
    p!(
        "http-basic-authenticator",
        "HTTP Basic Authentication",
        "Validates username and password from Authorization HTTP header",
        false,
        RAD,
        Authenticator
    ),
    p!(
        "auth-x509-client-username-form",
        "X509/Validate Username Form",
        "Validates username and password from X509 client certificate received as a part of mutual SSL handshake.",
        true,
        RAD,
        Authenticator
    ),
    p!(
        "registration-page-form",
        "Registration Page",
        "This is the controller for the registration page",
        false,
        RD,
        FormAuthenticator
    ),
    p!(
        "registration-recaptcha-enterprise",
        "reCAPTCHA Enterprise",
        "Adds Google reCAPTCHA Enterprise to the form.",
        true,
        RD,
        FormAction
    ),
    p!(
        "registration-recaptcha-action",
        "reCAPTCHA",
        "Adds Google reCAPTCHA to the form.",
        true,
        RD,
        FormAction
    ),
    p!(
        "registration-user-creation",
        "Registration User Profile Creation",
        "This action must always be first! Validates the username and user profile of the user in validation phase.  In success phase, this will create the user in the database including his user profile.",
        false,
        RD,
        FormAction
    ),
    p!(
        "registration-password-action",
        "Password Validation",
        "Validates that password matches password confirmation field.  It also will store password in user's credential store.",
        false,
        RD,
        FormAction
    ),
    p!(
        "registration-terms-and-conditions",
        "Terms and conditions",
        "Asks the user to accept terms and conditions before submitting its registration form.",
        false,
        RD,
        FormAction
    ),
    p!(
        "client-secret",
        "Client Id and Secret",
        "Validates client based on 'client_id' and 'client_secret' sent either in request parameters or in 'Authorization: Basic' header",
        false,
        AD,
        ClientAuthenticator
    ),
    p!(
        "client-jwt",
        "Signed Jwt",
        "Validates client based on signed JWT issued by client and signed with the Client private key",
        false,
        AD,
        ClientAuthenticator
    ),
    p!(
        "client-secret-jwt",
        "Signed Jwt with Client Secret",
        "Validates client based on signed JWT issued by client and signed with the Client Secret",
        false,
        AD,
        ClientAuthenticator
    ),
    p!(
        "client-x509",
        "X509 Certificate",
        "Validates client based on a X509 Certificate",
        false,
        AD,
        ClientAuthenticator
    ),
    p!(
        "federated-jwt",
        "Federated JWT",
        "Validates client based on signed JWT issued by a trusted identity provider",
        false,
        AD,
        ClientAuthenticator
    ),
];

pub fn find(id: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.id == id)
}
