"""Case reviews: domestic abuse related death reviews, offensive weapons homicide reviews and ASB case
reviews, on the clocks the statutory guidance (or the local procedure) sets."""
