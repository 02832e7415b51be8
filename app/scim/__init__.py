"""Provisioning by SCIM 2.0 (RFC 7643/7644) at /scim/v2: Entra ID and Okta add, change and deactivate
people with the same rules as the HR import. Built on scim2-models (resources, filters, PATCH)."""
