"""Analyses: reductions of labelled results into metrics and reports."""
