"""The full e2e tier: fetch the upstream ``e2e.test`` for the cluster's version, run it, read it.

The pieces, in the order a run uses them: ``settings`` (the validated options), ``version``,
``fetch`` and ``archive`` (download or copy the test package, verify it, extract the two
binaries into the per-version cache), ``listing`` and ``modes`` (what a mode selects, checked
against ``e2e.test --list-tests``), ``command`` (the ginkgo argv), ``execute`` and ``progress``
(run it with a local progress listener), then ``junitparse``, ``codenames``, ``completeness`` and
``verdict`` (turn ``junit_01.xml`` and ``e2e.log`` into results) and ``layout`` (keep the files a
CNCF submission needs).
"""
