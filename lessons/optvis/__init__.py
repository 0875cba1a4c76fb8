"""Feature visualisation by optimisation: parameterisations, transforms, objectives, priors and the render loop.

Nothing here keeps state on a model: activations are read by running the model's named stages (no hooks), the
weights are never given gradients, and every random draw comes from a local generator seeded per call.
"""
