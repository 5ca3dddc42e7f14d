from ninja import Router

router = Router(tags=["Điều tra xã hội học"])
