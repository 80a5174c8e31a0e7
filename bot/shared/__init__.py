"""What the gateway and the action server share: opening hours, callback subjects, French wording.

Pure standard library: the action server (Python 3.10, the engine environment) imports these modules, and
nothing else of the gateway.
"""
