"""Training assignments and due dates: onboarding, annual refresher, material course changes."""
