"""The PyTorch side of CarDoc AI: the only package that imports torch, torchvision and torchaudio.

Everything outside ``mlops`` calls the small typed API in ``mlops.inference`` instead.
"""
