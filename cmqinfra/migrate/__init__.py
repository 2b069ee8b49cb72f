"""Migration from Terraform: tencentcloud_tcmq_* configuration and state -> cmqinfra manifests.

``sources`` reads the files; ``hclsource`` / ``tfstate`` turn their text into located values;
``resolve`` evaluates the expressions that can be known without Terraform; ``terraform``
translates (pure) after the provider's documented schema in ``provider``. The manifest text is
written by the same writer as ``cmqinfra export``.
"""
