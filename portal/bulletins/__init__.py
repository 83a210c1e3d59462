"""Weekly safety bulletins: compiled per community and ISO week, reviewed, published."""
