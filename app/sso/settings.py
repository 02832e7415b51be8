"""Single sign-on settings from the environment (merged into app.config by config.from_environment)."""
import os


def _on(value: str | None, default: bool = False) -> bool:
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def sso_settings(instance_path: str) -> dict:
    env = os.environ
    return {
        "OIDC_ISSUER": env.get("OIDC_ISSUER"),              # its /.well-known/openid-configuration is read
        "OIDC_CLIENT_ID": env.get("OIDC_CLIENT_ID"),
        "OIDC_CLIENT_SECRET": env.get("OIDC_CLIENT_SECRET"),
        "OIDC_SCOPES": env.get("OIDC_SCOPES", "openid email profile"),
        "OIDC_GROUPS_CLAIM": env.get("OIDC_GROUPS_CLAIM", "groups"),
        "SAML_IDP_METADATA_URL": env.get("SAML_IDP_METADATA_URL"),
        "SAML_IDP_METADATA_FILE": env.get("SAML_IDP_METADATA_FILE"),
        "SAML_SP_KEY_FILE": env.get("SAML_SP_KEY_FILE", os.path.join(instance_path, "saml-sp.key")),
        "SAML_SP_CERT_FILE": env.get("SAML_SP_CERT_FILE", os.path.join(instance_path, "saml-sp.crt")),
        "SAML_GROUPS_ATTRIBUTE": env.get("SAML_GROUPS_ATTRIBUTE", "groups"),
        "SSO_BUTTON_LABEL": env.get("SSO_BUTTON_LABEL", "Sign in with your hospital account"),
        "SSO_CREATE_PEOPLE": _on(env.get("SSO_CREATE_PEOPLE")),
        "SSO_ADMIN_GROUP": env.get("SSO_ADMIN_GROUP") or None,
        "SSO_CONTACT": env.get("SSO_CONTACT", "your manager or the compliance office"),
        # off: only people an admin flagged "break-glass" may sign in with a password
        "PASSWORD_LOGIN": _on(env.get("PASSWORD_LOGIN"), default=True),
    }
