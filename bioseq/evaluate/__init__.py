"""Evaluation: metrics, plots, HTML reports and run comparison."""
