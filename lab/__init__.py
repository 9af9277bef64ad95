"""The workshop: benchmarks, synthetic archive generators, experiments. Beside the package, never installed,
never imported by `qa` or `index`; run it from the repository root as `python -m lab COMMAND`."""
