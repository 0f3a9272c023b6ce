"""The notifier: tells the customer (email) and other systems (signed webhooks) what happened to a case."""
