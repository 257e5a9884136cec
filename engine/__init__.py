"""Engine: choose and reward in production."""
