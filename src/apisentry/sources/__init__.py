"""Input formats: each turns a file into raw records and knows the SQL that normalises them."""
