"""Training sessions: the training centre, the session loop, the console, recording, debrief."""
