"""The deploy roles' IAM policies (deploy/<stack>/*.json), generated from the desired state."""
