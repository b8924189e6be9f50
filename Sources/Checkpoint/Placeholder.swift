// Placeholder until the first checkpoint file lands.
