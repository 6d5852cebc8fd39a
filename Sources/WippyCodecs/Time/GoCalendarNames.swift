/// English month and weekday names used by Go layouts and `os.date`.
enum GoCalendarNames {
    /// `"January"` ... `"December"`, index 0 = January.
    static let longMonths = [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ]
    /// `"Jan"` ... `"Dec"`.
    static let shortMonths = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    /// `"Sunday"` ... `"Saturday"`, index 0 = Sunday.
    static let longDays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    /// `"Sun"` ... `"Sat"`.
    static let shortDays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
}
