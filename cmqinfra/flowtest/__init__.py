"""``cmqinfra test``: tests of message flow, the ``terraform test`` of queues and topics.

A test file ``NAME.cmqtest.yaml`` sits next to the manifests (schema:
``schemas/cmqtest.schema.json``). Each test runs its steps (send, publish, receive, wait) against a
fresh in-process emulator backend loaded with the stack, on a virtual clock, and checks its
expectations (which queues hold a message, whether it was dead-lettered, which http endpoints it
was pushed to). Expectations the manifest cannot satisfy (a queue with no subscription that can
receive that message) are diagnosed at their file:line before anything runs.

    discover.find_test_files(paths) -> test file paths
    parse.load_test_file(path) -> (TestFile | None, diagnostics)
    checks.check(test_file, stack) -> diagnostics
    run.run_file(test_file, stack) -> FileResult
    report.render_text(results), report.junit_xml(results)
"""
