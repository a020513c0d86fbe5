"""A registration form: its JSON Schema read as the fields a page shows (`reading`), and answers
checked against it (`validation`)."""
