"""The README's table of failures is the fault matrix the tests in this folder drive."""

from tests.faults.catalogue import readme_table
from tests.faults.harness import ROOT


def test_the_readme_lists_every_fault_of_the_matrix_as_the_tests_check_it():
    assert readme_table() in (ROOT / "README.md").read_text()
