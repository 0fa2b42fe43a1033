"""Reading stored check results for staff: the figures a result was judged on, in one place."""
