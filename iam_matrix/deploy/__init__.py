"""The deploy roles' IAM policies (deploy/*.json), generated from the desired state."""
