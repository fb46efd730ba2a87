"""The customer's side of online issuance: what runs on the customer's own PC (teller online)."""
