"""Leaf helpers every area uses: the clock, ids, text folding, domain errors, settings, a small cache, atomic files."""
