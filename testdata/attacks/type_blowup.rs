// attack: a type whose size grows exponentially with each level, to exhaust time or memory
// expect: compile_error|memory_limit|timeout
type T0 = (u8, u8);
type T1 = (T0, T0, T0, T0);
type T2 = (T1, T1, T1, T1);
type T3 = (T2, T2, T2, T2);
type T4 = (T3, T3, T3, T3);
type T5 = (T4, T4, T4, T4);
type T6 = (T5, T5, T5, T5);
type T7 = (T6, T6, T6, T6);
type T8 = (T7, T7, T7, T7);
type T9 = (T8, T8, T8, T8);
type T10 = (T9, T9, T9, T9);
type T11 = (T10, T10, T10, T10);
type T12 = (T11, T11, T11, T11);
type T13 = (T12, T12, T12, T12);
type T14 = (T13, T13, T13, T13);
type T15 = (T14, T14, T14, T14);
type T16 = (T15, T15, T15, T15);
fn f<T: Default + std::fmt::Debug>() -> T { T::default() }
fn main() { println!("{:?}", f::<T16>()); }
