"""Detection: rule packs as data, Sigma rules through pySigma, one SQL engine for both."""
