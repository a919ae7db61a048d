import keras, json, sys
out = {}
def cap(model, **kw):
    buf = []
    model.summary(print_fn=lambda x, **k: buf.append(x), **kw)
    return "".join(buf)
keras.backend.clear_session()
m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)], name="sequential")
out["sequential"] = cap(m)
keras.backend.clear_session()
m2 = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4, return_state=True, name="lstm")], name="seq_state")
out["sequential_multi_output"] = cap(m2)
keras.backend.clear_session()
a = keras.Input((8,), name="a"); b = keras.Input((8,), name="b")
d = keras.layers.Dense(16, name="shared")
x = keras.layers.Concatenate(name="cat")([d(a), d(b)])
y = keras.layers.BatchNormalization(name="bn")(x)
z = keras.layers.Dense(1, name="out")(y)
f = keras.Model([a, b], z, name="functional")
out["functional"] = cap(f)
f.get_layer("shared").trainable = False
out["functional_frozen"] = cap(f, show_trainable=True)
keras.backend.clear_session()
m3 = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1000), keras.layers.Dense(100000)], name="big")
out["sequential_big"] = cap(m3)
json.dump(out, sys.stdout)
