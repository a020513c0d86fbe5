"""What organisers do with an event's registrations: lists, exports, attendance, reissues, erasure and retention."""
