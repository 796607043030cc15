"""The full e2e tier: fetch the upstream ``e2e.test`` for the cluster's version, run it, read it.

``run`` is the tier's entry: it takes the core's ``E2ESettings`` (built and checked by the CLI,
``settings`` holds the option checks it uses) and returns the report. The pieces, in the order a
run uses them: ``cluster`` (the server's release, through ``kubeadm_verify.access``), ``version``,
``fetch`` and ``archive`` (download or copy the test package, verify it, extract the two
binaries into the per-version cache), ``listing`` and ``modes`` (what a mode selects, checked
against ``e2e.test --list-tests``), ``command`` (the ginkgo argv), ``execute`` and ``progress``
(run it with a local progress listener), then ``junitparse``, ``codenames``, ``completeness`` and
``verdict`` (turn ``junit_01.xml`` and ``e2e.log`` into results) and ``layout`` (keep the files a
CNCF submission needs).
"""
