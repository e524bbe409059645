"""The run history behind `relay-git log`: the store and its statistics."""
