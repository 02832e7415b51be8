"""The organisation's social-media policy: versioned documents and each person's attestation to one."""
