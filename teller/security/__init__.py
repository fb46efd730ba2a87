"""Security primitives: staff password hashing, field encryption of personal data, certificate password rule."""
