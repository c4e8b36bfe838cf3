# Rules for report rendering (issue 4).
