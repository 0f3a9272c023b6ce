"""The customer's page: opened from the signed link in their email, no account needed."""
