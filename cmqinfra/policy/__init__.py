"""Project policies: the rules of ``policies:`` in cmqinfra.yaml, checked over Stack and Plan values.

``config`` reads the section (located, scoped by stack and environment); ``rules`` holds the
built-in rules, each a pure function of a resource (or a plan change) and the policy's
parameters; ``check`` applies a stack's policies, with the exceptions its manifests declare,
and yields located diagnostics like the semantic checks: ``validate`` runs the rules the
manifests alone decide, ``plan`` those and the rules about changes.
"""
