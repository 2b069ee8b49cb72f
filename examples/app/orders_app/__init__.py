"""An example application on TDMQ for CMQ: a producer and a consumer written against the
unmodified CMQ SDK (``qcloud-cmq-sdk-py3``), nothing cmqinfra-specific. Its tests (``tests/`` on
the pytest plugin, ``tests_unittest/`` on ``cmqinfra.testing.local_cmq``) run it against a local
CMQ on a virtual clock."""
