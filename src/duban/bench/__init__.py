"""`make bench`: province-scale data on PostgreSQL and timings through the real Django stack.

Figures are printed, never asserted. See generate.py for the data set and measure.py for what
is timed.
"""
